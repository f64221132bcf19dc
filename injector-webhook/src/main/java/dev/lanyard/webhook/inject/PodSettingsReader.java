package dev.lanyard.webhook.inject;

import dev.lanyard.config.CommaList;
import dev.lanyard.config.ConfigKey;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.InboundPorts;
import dev.lanyard.config.WorkloadValues;
import dev.lanyard.reasons.Reason;
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

/** Reads {@link PodSettings} from a pod's labels and annotations; never throws on user input. */
final class PodSettingsReader {
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
      selected = Optional.of(new LinkedHashSet<>(CommaList.entries(containersText)));
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

    List<String> refusals = workloadValueProblems(annotations);
    Optional<String> allowedPeers =
        Optional.ofNullable(annotations.get(LanyardNames.ALLOWED_PEERS));
    // With a ceiling and no default, the ceiling itself: the runtime's own default (its whole
    // trust domain) could be wider.
    allowedPeers =
        allowedPeers
            .or(config.defaults()::allowedPeersIfSet)
            .or(config.ceiling()::allowedPeersIfSet);
    Optional<String> startup = Optional.ofNullable(annotations.get(LanyardNames.STARTUP));
    startup = startup.or(config.defaults()::startupIfSet);
    Optional<String> inbound = Optional.ofNullable(annotations.get(LanyardNames.INBOUND));
    Optional<String> jwtAudiences = Optional.ofNullable(annotations.get(LanyardNames.JWT_AUDIENCES));
    Optional<String> inboundJwtAudience =
        Optional.ofNullable(annotations.get(LanyardNames.INBOUND_JWT_AUDIENCE));
    Optional<String> audit = Optional.ofNullable(annotations.get(LanyardNames.AUDIT));
    Optional<String> serverIds = Optional.ofNullable(annotations.get(LanyardNames.SERVER_IDS));
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
        refusals,
        warnings);
  }

  /**
   * Every annotation the webhook copies into a {@code LANYARD_*} variable, judged by the parser
   * the javaagent and the sidecar apply at start (lanyard-config): what they would refuse is
   * refused at admission, in their words.
   */
  private static List<String> workloadValueProblems(Map<String, String> annotations) {
    List<String> problems = new ArrayList<>();
    for (ConfigKey key : ConfigKeys.ALL) {
      key.annotation()
          .filter(annotations::containsKey)
          .ifPresent(
              annotation ->
                  WorkloadValues.problem(key, annotations.get(annotation))
                      .ifPresent(
                          problem ->
                              problems.add(
                                  "annotation "
                                      + annotation
                                      + ": "
                                      + problem
                                      + "; the workload would refuse to start with it")));
    }
    return problems;
  }

  /**
   * The chart's {@code injector.defaults} values, judged as the workload will judge them; a
   * problem stops the webhook's start (InjectorConfigLoader).
   */
  static List<String> defaultsProblems(InjectorConfig.Defaults defaults) {
    List<String> problems = new ArrayList<>();
    check(problems, "defaults.allowedPeers", ConfigKeys.ALLOWED_PEERS, defaults.allowedPeers());
    check(problems, "defaults.startup", ConfigKeys.STARTUP, defaults.startup());
    check(problems, "defaults.serverIds", ConfigKeys.SERVER_IDS, defaults.serverIds());
    check(problems, "defaults.meshCidrs", ConfigKeys.MESH_CIDRS, defaults.meshCidrs());
    check(problems, "defaults.externalHosts", ConfigKeys.EXTERNAL_HOSTS, defaults.externalHosts());
    check(problems, "defaults.meshHosts", ConfigKeys.MESH_HOSTS, defaults.meshHosts());
    check(problems, "defaults.plainPorts", ConfigKeys.PLAIN_PORTS, defaults.plainPorts());
    check(problems, "defaults.upgradeInbound", ConfigKeys.UPGRADE_INBOUND,
        defaults.upgradeInbound());
    check(problems, "defaults.upgradeOutbound", ConfigKeys.UPGRADE_OUTBOUND,
        defaults.upgradeOutbound());
    return problems;
  }

  /** The sidecar settings the chart sets for every sidecar, judged by the sidecar's rules. */
  static List<String> sidecarProblems(InjectorConfig.Sidecar sidecar) {
    List<String> problems = new ArrayList<>();
    check(problems, "sidecar.outbound", ConfigKeys.OUTBOUND, sidecar.outbound());
    check(problems, "sidecar.timeouts.drain", ConfigKeys.DRAIN, sidecar.timeouts().drain());
    check(problems, "sidecar.timeouts.idle", ConfigKeys.IDLE_TIMEOUT, sidecar.timeouts().idle());
    check(problems, "sidecar.timeouts.handshake", ConfigKeys.HANDSHAKE_TIMEOUT,
        sidecar.timeouts().handshake());
    return problems;
  }

  private static void check(List<String> problems, String where, ConfigKey key, String value) {
    WorkloadValues.problem(key, value)
        .ifPresent(
            problem ->
                problems.add(
                    where + ": " + problem + " (every injected workload would refuse it at start)"));
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
              Reason.INVALID_INJECT_VALUE,
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
    for (InboundPorts.Entry entry : InboundPorts.wellFormed(value)) {
      pairs.add(new int[] {entry.meshPort(), entry.appPort()});
    }
    return pairs;
  }
}
