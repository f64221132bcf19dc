package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads {@link PodSettings} from a pod's labels and annotations; never throws on user input. */
final class PodSettingsReader {
  private static final Pattern DURATION = Pattern.compile("\\d{1,9}(ms|s|m|h)");
  /**
   * {@code meshPort:appPort}, optionally {@code /tcp} (a raw port: bytes relayed, no identity
   * headers) or {@code /http} (the default), as the sidecar's {@code LANYARD_INBOUND} reads it.
   */
  private static final Pattern PORT_PAIR =
      Pattern.compile("(\\d{1,5}):(\\d{1,5})(?:/(?i:tcp|http))?");

  private PodSettingsReader() {}

  static PodSettings read(Pod pod, InjectorConfig config) {
    ObjectMeta meta = pod.getMetadata() == null ? new ObjectMeta() : pod.getMetadata();
    Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
    Map<String, String> annotations =
        meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    List<String> invalid = new ArrayList<>();
    List<InjectionWarning> warnings = new ArrayList<>();

    String optOutSource = optOut(labels, "label", warnings);
    if (optOutSource == null) {
      optOutSource = optOut(annotations, "annotation", warnings);
    }

    InjectionMode mode = InjectionMode.AUTO;
    String modeText = annotations.get(LanyardNames.MODE);
    if (modeText != null) {
      Optional<InjectionMode> parsed = InjectionMode.parse(modeText);
      if (parsed.isPresent()) {
        mode = parsed.get();
      } else {
        invalid.add(
            LanyardNames.MODE
                + "=\""
                + modeText
                + "\" is not one of auto, javaagent,"
                + " sidecar, socket (to opt out, set "
                + LanyardNames.INJECT
                + "=false)");
      }
    }

    Optional<Set<String>> selected = Optional.empty();
    String containersText = annotations.get(LanyardNames.CONTAINERS);
    if (containersText != null) {
      Set<String> names = new LinkedHashSet<>();
      for (String name : containersText.split(",")) {
        if (!name.isBlank()) {
          names.add(name.trim());
        }
      }
      selected = Optional.of(names);
    }

    Map<String, RuntimeKind> runtimes = new HashMap<>();
    annotations.forEach(
        (key, value) -> {
          if (key.startsWith(LanyardNames.RUNTIME_PREFIX)) {
            String container = key.substring(LanyardNames.RUNTIME_PREFIX.length());
            Optional<RuntimeKind> runtime = RuntimeKind.parse(value);
            if (runtime.isPresent()) {
              runtimes.put(container, runtime.get());
            } else {
              invalid.add(key + "=\"" + value + "\" is not jvm or other");
            }
          }
        });

    Optional<String> allowedPeers =
        Optional.ofNullable(annotations.get(LanyardNames.ALLOWED_PEERS));
    allowedPeers.ifPresent(value -> checkAllowedPeers(value, warnings));
    // With a ceiling and no default, the ceiling itself: the runtime's own default (its whole
    // trust domain) could be wider.
    allowedPeers =
        allowedPeers
            .or(config.defaults()::allowedPeersIfSet)
            .or(config.ceiling()::allowedPeersIfSet);
    Optional<String> startup = Optional.ofNullable(annotations.get(LanyardNames.STARTUP));
    startup.ifPresent(value -> checkStartup(value, warnings));
    startup = startup.or(config.defaults()::startupIfSet);
    Optional<String> inbound = Optional.ofNullable(annotations.get(LanyardNames.INBOUND));
    inbound.ifPresent(value -> checkInbound(value, config, warnings));
    Optional<String> jwtAudiences = Optional.ofNullable(annotations.get(LanyardNames.JWT_AUDIENCES));
    jwtAudiences.ifPresent(value -> checkJwtAudiences(value, warnings));
    Optional<String> inboundJwtAudience =
        Optional.ofNullable(annotations.get(LanyardNames.INBOUND_JWT_AUDIENCE));
    inboundJwtAudience.ifPresent(value -> checkInboundJwtAudience(value, warnings));
    Optional<String> audit = Optional.ofNullable(annotations.get(LanyardNames.AUDIT));
    audit.ifPresent(value -> checkAudit(value, warnings));
    Optional<String> serverIds = Optional.ofNullable(annotations.get(LanyardNames.SERVER_IDS));
    serverIds.ifPresent(value -> checkServerIds(value, warnings));
    serverIds = serverIds.or(config.defaults()::serverIdsIfSet);

    return new PodSettings(
        optOutSource != null,
        optOutSource,
        mode,
        selected,
        runtimes,
        allowedPeers,
        startup,
        inbound,
        jwtAudiences,
        inboundJwtAudience,
        audit,
        serverIds,
        config.defaults().meshCidrsIfSet(),
        config.defaults().externalHostsIfSet(),
        invalid,
        warnings);
  }

  /** {@code "label lanyard.dev/inject=false"} when opted out, else null. */
  private static String optOut(
      Map<String, String> values, String kind, List<InjectionWarning> warnings) {
    String value = values.get(LanyardNames.INJECT);
    if (value == null) {
      return null;
    }
    String normalized = value.trim().toLowerCase(Locale.ROOT);
    if (normalized.equals("false")) {
      return kind + " " + LanyardNames.INJECT + "=" + value;
    }
    if (!normalized.equals("true") && !normalized.equals(LanyardNames.NAMESPACE_ENABLED)) {
      warnings.add(
          new InjectionWarning(
              "invalid_inject_value",
              "pod "
                  + kind
                  + " "
                  + LanyardNames.INJECT
                  + "=\""
                  + value
                  + "\" is neither true nor false; injecting as"
                  + " the namespace asks (write false to opt out)"));
    }
    return null;
  }

  static void checkAllowedPeers(String value, List<InjectionWarning> warnings) {
    for (String item : value.split(",")) {
      String pattern = item.trim();
      if (!pattern.isEmpty() && !pattern.startsWith("spiffe://")) {
        warnings.add(
            new InjectionWarning(
                "invalid_allowed_peers",
                LanyardNames.ALLOWED_PEERS
                    + " entry \""
                    + pattern
                    + "\" is not a SPIFFE ID pattern such as"
                    + " spiffe://example.org/ns/app/sa/web or spiffe://example.org/ns/app/*;"
                    + " the workload will refuse to start with it"));
      }
    }
  }

  /** {@code host-glob=audience,...}, as spiffe-tls parses {@code LANYARD_JWT_AUDIENCES}. */
  static void checkJwtAudiences(String value, List<InjectionWarning> warnings) {
    for (String part : value.split(",")) {
      String item = part.trim();
      int equals = item.indexOf('=');
      if (item.isEmpty() || equals > 0 && equals < item.length() - 1) {
        continue;
      }
      warnings.add(
          new InjectionWarning(
              "invalid_jwt_audiences",
              LanyardNames.JWT_AUDIENCES
                  + " entry \""
                  + item
                  + "\" is not host-glob=audience, e.g. llm-gateway.*.svc=llm-gateway;"
                  + " the workload will refuse to start with it"));
      return;
    }
  }

  /**
   * {@code host-glob=spiffe-id-pattern,...}, as spiffe-tls parses {@code LANYARD_SERVER_IDS}: each
   * entry names a host glob and a {@code spiffe://} pattern.
   */
  static void checkServerIds(String value, List<InjectionWarning> warnings) {
    for (String part : value.split(",")) {
      String item = part.trim();
      int equals = item.indexOf('=');
      if (item.isEmpty()
          || equals > 0 && item.substring(equals + 1).trim().startsWith("spiffe://")) {
        continue;
      }
      warnings.add(
          new InjectionWarning(
              "invalid_server_ids",
              LanyardNames.SERVER_IDS
                  + " entry \""
                  + item
                  + "\" is not host-glob=spiffe-id-pattern, e.g."
                  + " payments.prod.svc=spiffe://example.org/ns/prod/sa/payments;"
                  + " the workload will refuse to start with it"));
      return;
    }
  }

  private static final java.util.regex.Pattern CIDR =
      java.util.regex.Pattern.compile("[0-9a-fA-F:.]+/\\d{1,3}");

  /** {@code address/prefix,...}: the cluster's service and pod CIDRs ({@code LANYARD_MESH_CIDRS}). */
  static void checkMeshCidrs(String value, List<InjectionWarning> warnings) {
    for (String part : value.split(",")) {
      String item = part.trim();
      if (item.isEmpty() || CIDR.matcher(item).matches()) {
        continue;
      }
      warnings.add(
          new InjectionWarning(
              "invalid_mesh_cidrs",
              "mesh CIDR \""
                  + item
                  + "\" is not address/prefix-length, e.g. 10.96.0.0/12,10.244.0.0/16"));
      return;
    }
  }

  private static void checkInboundJwtAudience(String value, List<InjectionWarning> warnings) {
    if (value.isBlank() || value.contains(",") || value.chars().anyMatch(Character::isWhitespace)) {
      warnings.add(
          new InjectionWarning(
              "invalid_inbound_jwt_audience",
              LanyardNames.INBOUND_JWT_AUDIENCE
                  + "=\""
                  + value
                  + "\" must be one audience, e.g. notifier; the sidecar will refuse to start"
                  + " with it"));
    }
  }

  private static void checkAudit(String value, List<InjectionWarning> warnings) {
    String level = value.trim().toLowerCase(Locale.ROOT);
    if (!level.equals("deny") && !level.equals("all") && !level.equals("off")) {
      warnings.add(
          new InjectionWarning(
              "invalid_audit",
              LanyardNames.AUDIT
                  + "=\""
                  + value
                  + "\" is not deny, all or off; the workload will refuse to start with it"));
    }
  }

  static void checkStartup(String value, List<InjectionWarning> warnings) {
    for (String part : value.split(",", -1)) {
      String item = part.trim().toLowerCase(Locale.ROOT);
      boolean ok =
          item.startsWith("wait=") && DURATION.matcher(item.substring(5).trim()).matches()
              || item.equals("then=fail")
              || item.equals("then=degrade")
              || value.isBlank();
      if (!ok) {
        warnings.add(
            new InjectionWarning(
                "invalid_startup",
                LanyardNames.STARTUP
                    + "=\""
                    + value
                    + "\": \""
                    + part.trim()
                    + "\" is not wait=<duration> or then=fail|degrade;"
                    + " write e.g. wait=30s,then=fail"));
        return;
      }
    }
  }

  private static void checkInbound(
      String value, InjectorConfig config, List<InjectionWarning> warnings) {
    for (String part : value.split(",")) {
      String item = part.trim();
      if (item.isEmpty()) {
        continue;
      }
      var matcher = PORT_PAIR.matcher(item);
      String problem = null;
      if (!matcher.matches()) {
        problem = "is not <meshPort>:<appPort>[/tcp|/http]";
      } else {
        int mesh = Integer.parseInt(matcher.group(1));
        int app = Integer.parseInt(matcher.group(2));
        if (mesh < 1 || mesh > 65535 || app < 1 || app > 65535) {
          problem = "has a port outside 1-65535";
        } else if (mesh == app) {
          problem =
              "uses the same port for mesh and app (the sidecar and the app cannot both listen on"
                  + " it)";
        }
        // A port of Lanyard's own is refused at admission: LanyardPorts.clashes.
      }
      if (problem != null) {
        warnings.add(
            new InjectionWarning(
                "invalid_inbound",
                LanyardNames.INBOUND
                    + " entry \""
                    + item
                    + "\" "
                    + problem
                    + "; write e.g. 8443:8080 (mesh port 8443 to app port 8080, HTTP with"
                    + " identity headers) or 15432:5432/tcp (raw TCP, no identity headers)"));
      }
    }
  }

  /** The port numbers named in {@code lanyard.dev/inbound}, for admin-port allocation. */
  static Set<Integer> inboundPorts(Optional<String> inbound) {
    Set<Integer> ports = new LinkedHashSet<>();
    inbound.ifPresent(
        value -> {
          for (int[] pair : inboundPairs(value)) {
            ports.add(pair[0]);
            ports.add(pair[1]);
          }
        });
    return ports;
  }

  /** The well-formed {@code meshPort:appPort} entries of {@code lanyard.dev/inbound}. */
  static List<int[]> inboundPairs(String value) {
    List<int[]> pairs = new ArrayList<>();
    for (String part : value.split(",")) {
      var matcher = PORT_PAIR.matcher(part.trim());
      if (matcher.matches()) {
        pairs.add(new int[] {Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2))});
      }
    }
    return pairs;
  }
}
