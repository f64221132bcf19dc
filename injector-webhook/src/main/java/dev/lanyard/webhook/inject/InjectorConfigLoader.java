package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lanyard.webhook.LanyardVersion;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an {@link InjectorConfig}: the bundled {@code injector-defaults.yaml}, overlaid key by key
 * with the operator's file, then checked. Every mistake is reported at once, with the key, the
 * offending value and what would be accepted, so a bad ConfigMap fails the webhook's start instead
 * of a pod's admission.
 */
public final class InjectorConfigLoader {
  private static final String DEFAULTS = "injector-defaults.yaml";
  private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);

  private InjectorConfigLoader() {}

  /** The defaults alone. */
  public static InjectorConfig defaults() {
    return bind(defaultsTree(), "the bundled defaults");
  }

  /** The defaults overlaid with {@code file}. */
  public static InjectorConfig load(Path file) {
    JsonNode overlay;
    try {
      overlay = YAML.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new InvalidConfigException(
          "config file " + file + " is not valid YAML: " + e.getOriginalMessage() + locationOf(e));
    } catch (IOException e) {
      throw new InvalidConfigException("cannot read config file " + file + ": " + e);
    }
    return fromYamlTree(overlay, "config file " + file);
  }

  /** The defaults overlaid with each YAML text in turn (later layers win). */
  public static InjectorConfig fromYaml(String source, String... layers) {
    ObjectNode merged = defaultsTree();
    for (String layer : layers) {
      try {
        overlayChecked(merged, YAML.readTree(layer), source);
      } catch (JsonProcessingException e) {
        throw new InvalidConfigException(
            source + " is not valid YAML: " + e.getOriginalMessage() + locationOf(e));
      }
    }
    return bind(merged, source);
  }

  private static InjectorConfig fromYamlTree(JsonNode overlay, String source) {
    ObjectNode merged = defaultsTree();
    overlayChecked(merged, overlay, source);
    return bind(merged, source);
  }

  private static void overlayChecked(ObjectNode merged, JsonNode overlay, String source) {
    if (overlay != null && !overlay.isNull() && !overlay.isMissingNode()) {
      if (!overlay.isObject()) {
        throw new InvalidConfigException(
            source
                + " must be a YAML mapping of keys such as"
                + " socket, javaagent and sidecar; it is a "
                + overlay.getNodeType().name().toLowerCase());
      }
      overlay(merged, (ObjectNode) overlay);
    }
  }

  private static InjectorConfig bind(ObjectNode tree, String source) {
    if (!tree.hasNonNull("version")) {
      tree.put("version", LanyardVersion.current());
    }
    InjectorConfig config;
    try {
      config = YAML.treeToValue(tree, InjectorConfig.class);
    } catch (JsonProcessingException e) {
      throw new InvalidConfigException(source + ": " + e.getOriginalMessage() + pathOf(e));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidConfigException(source + ": " + e.getMessage());
    }
    List<String> problems = check(config);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(
          source
              + " has "
              + problems.size()
              + " problem"
              + (problems.size() == 1 ? "" : "s")
              + ":\n  - "
              + String.join("\n  - ", problems));
    }
    return config;
  }

  /** Rules the types cannot express. */
  static List<String> check(InjectorConfig config) {
    List<String> problems = new ArrayList<>();
    InjectorConfig.Socket socket = config.socket();
    if (socket.fileName() == null
        || socket.fileName().isBlank()
        || socket.fileName().contains("/")) {
      problems.add(
          "socket.fileName \""
              + socket.fileName()
              + "\" must be a bare file name such as spire-agent.sock");
    }
    if (socket.type() == InjectorConfig.SocketVolumeType.CSI && isBlank(socket.csiDriver())) {
      problems.add("socket.csiDriver is empty; write the CSI driver's name, e.g. csi.spiffe.io");
    }
    if (socket.type() == InjectorConfig.SocketVolumeType.HOST_PATH
        && (socket.hostPath() == null || !socket.hostPath().startsWith("/"))) {
      problems.add(
          "socket.hostPath \""
              + socket.hostPath()
              + "\" must be an absolute node path, e.g. /run/spire/agent-sockets");
    }
    InjectorConfig.Javaagent javaagent = config.javaagent();
    requireImage(problems, "javaagent.image", javaagent.image());
    requirePullPolicy(problems, "javaagent.imagePullPolicy", javaagent.imagePullPolicy());
    if (javaagent.copyCommand().isEmpty()) {
      problems.add(
          "javaagent.copyCommand is empty; write e.g. [cp, /javaagent.jar,"
              + " /lanyard/javaagent.jar]");
    }
    requireQuantity(problems, "javaagent.volumeSizeLimit", javaagent.volumeSizeLimit());
    InjectorConfig.Sidecar sidecar = config.sidecar();
    requireImage(problems, "sidecar.image", sidecar.image());
    requirePullPolicy(problems, "sidecar.imagePullPolicy", sidecar.imagePullPolicy());
    Map<String, Integer> sidecarPorts = new java.util.LinkedHashMap<>();
    sidecarPorts.put("sidecar.adminPort", sidecar.adminPort());
    sidecarPorts.put("sidecar.outboundProxyPort", sidecar.outboundProxyPort());
    sidecarPorts.put("sidecar.shutdownPort", sidecar.shutdownPort());
    sidecarPorts.put("sidecar.healthPort", sidecar.healthPort());
    if (config.metrics().enabled()) {
      sidecarPorts.put("metrics.port", config.metrics().port());
    }
    Map<Integer, String> byPort = new java.util.LinkedHashMap<>();
    sidecarPorts.forEach(
        (key, port) -> {
          requirePort(problems, key, port);
          String other = byPort.putIfAbsent(port, key);
          if (other != null) {
            problems.add(other + " and " + key + " are both " + port + "; give them different ports");
          }
        });
    if (isBlank(sidecar.adminListenHost())) {
      problems.add(
          "sidecar.adminListenHost is empty; write 127.0.0.1 (probes use sidecar.healthPort)");
    }
    if (sidecar.startupProbeFailureThreshold() < 1) {
      problems.add(
          "sidecar.startupProbeFailureThreshold "
              + sidecar.startupProbeFailureThreshold()
              + " must be at least 1");
    }
    if (sidecar.jvmFlags().stream().anyMatch(flag -> isBlank(flag) || !flag.startsWith("-"))) {
      problems.add("sidecar.jvmFlags " + sidecar.jvmFlags() + " must be JVM options, each starting"
          + " with -, e.g. [-XX:+UseSerialGC, -Xmx64m]");
    }
    problems.addAll(PodSettingsReader.sidecarProblems(sidecar));
    // The rules the workload applies to the annotations; here a mistake stops the webhook's start.
    problems.addAll(PodSettingsReader.defaultsProblems(config.defaults()));
    checkNamespaceLabel(config, problems);
    checkCeiling(config, problems);
    if (config.security().runAsUser() <= 0 || config.security().runAsGroup() <= 0) {
      problems.add(
          "security.runAsUser and security.runAsGroup must be non-root (> 0) for Pod"
              + " Security \"restricted\"; they are "
              + config.security().runAsUser()
              + " and "
              + config.security().runAsGroup());
    }
    return problems;
  }

  /** The ceiling must parse, and the operator's own default must lie within it. */
  private static void checkCeiling(InjectorConfig config, List<String> problems) {
    PeerCeiling ceiling;
    try {
      ceiling = PeerCeiling.of(config.ceiling());
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
      return;
    }
    if (config.ceiling().auditNamespaces().stream().anyMatch(InjectorConfigLoader::isBlank)) {
      problems.add(
          "ceiling.auditNamespaces "
              + config.ceiling().auditNamespaces()
              + " has an empty entry; list namespace names");
    }
    config
        .defaults()
        .allowedPeersIfSet()
        .flatMap(value -> ceiling.violation(value, "defaults.allowedPeers", null))
        .ifPresent(problems::add);
  }

  /** The namespace label Events are confirmed against. */
  private static void checkNamespaceLabel(InjectorConfig config, List<String> problems) {
    InjectorConfig.NamespaceLabel label = config.namespaceLabel();
    if (isBlank(label.key()) || isBlank(label.value())) {
      problems.add(
          "namespaceLabel needs a key and a value (the chart's admission.namespaceLabel), e.g."
              + " key lanyard.dev/inject, value enabled; it has key \""
              + label.key()
              + "\" and value \""
              + label.value()
              + "\"");
    }
  }

  private static void requireImage(List<String> problems, String key, String image) {
    if (isBlank(image) || image.chars().anyMatch(Character::isWhitespace)) {
      problems.add(
          key + " \"" + image + "\" is not an image reference such as ghcr.io/org/name:tag");
    }
  }

  private static void requirePullPolicy(List<String> problems, String key, String policy) {
    if (!PULL_POLICIES.contains(policy)) {
      problems.add(key + " \"" + policy + "\" is not one of Always, IfNotPresent, Never");
    }
  }

  private static void requirePort(List<String> problems, String key, int port) {
    if (port < 1 || port > 65535) {
      problems.add(key + " " + port + " is not a TCP port (1-65535)");
    }
  }

  private static void requireQuantity(List<String> problems, String key, String quantity) {
    try {
      if (isBlank(quantity) || Quantity.getAmountInBytes(new Quantity(quantity)).signum() <= 0) {
        problems.add(key + " \"" + quantity + "\" must be a positive size such as 64Mi");
      }
    } catch (IllegalArgumentException | ArithmeticException e) {
      problems.add(key + " \"" + quantity + "\" is not a Kubernetes quantity such as 64Mi");
    }
  }

  private static boolean isBlank(String text) {
    return text == null || text.isBlank();
  }

  /** Deep merge: mappings merge key by key; anything else (scalars, lists) replaces. */
  private static void overlay(ObjectNode base, ObjectNode overlay) {
    for (Map.Entry<String, JsonNode> field : overlay.properties()) {
      JsonNode existing = base.get(field.getKey());
      if (existing instanceof ObjectNode target && field.getValue() instanceof ObjectNode source) {
        overlay(target, source);
      } else {
        base.set(field.getKey(), field.getValue());
      }
    }
  }

  private static ObjectNode defaultsTree() {
    try (InputStream in = InjectorConfigLoader.class.getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS + " is missing from the jar");
      }
      return (ObjectNode) YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled " + DEFAULTS, e);
    }
  }

  private static String locationOf(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line "
            + e.getLocation().getLineNr()
            + ", column "
            + e.getLocation().getColumnNr()
            + ")";
  }

  private static String pathOf(JsonProcessingException e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping
        && !mapping.getPath().isEmpty()) {
      StringBuilder path = new StringBuilder();
      for (com.fasterxml.jackson.databind.JsonMappingException.Reference reference :
          mapping.getPath()) {
        if (reference.getFieldName() != null) {
          path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
        } else if (reference.getIndex() >= 0) {
          path.append('[').append(reference.getIndex()).append(']');
        }
      }
      return " (at key " + path + ")";
    }
    return "";
  }
}
