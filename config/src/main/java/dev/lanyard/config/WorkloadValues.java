package dev.lanyard.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Judges a value the webhook is about to hand a workload (from a pod annotation or a chart value)
 * with the parser the workload will apply at start, so a value the javaagent or the sidecar would
 * refuse is refused before the pod exists, in the workload's own words.
 */
public final class WorkloadValues {
  private static final Map<ConfigKey, Function<String, ?>> PARSERS;

  static {
    Map<ConfigKey, Function<String, ?>> parsers = new LinkedHashMap<>();
    parsers.put(ConfigKeys.ALLOWED_PEERS, AllowedPeers::parse);
    parsers.put(ConfigKeys.STARTUP, StartupPolicy::parse);
    parsers.put(ConfigKeys.MESH_HOSTS, HostGlobs::parse);
    parsers.put(ConfigKeys.EXTERNAL_HOSTS, text -> HostGlobs.parse(text, ConfigKeys.EXTERNAL_HOSTS));
    parsers.put(ConfigKeys.MESH_CIDRS, MeshCidrs::parse);
    parsers.put(ConfigKeys.SERVER_IDS, ServerIds::parse);
    parsers.put(ConfigKeys.AUDIT, AuditMode::parse);
    parsers.put(ConfigKeys.JWT_AUDIENCES, JwtAudiences::parse);
    parsers.put(ConfigKeys.INBOUND_JWT_AUDIENCE, JwtAudiences::checkAudience);
    parsers.put(ConfigKeys.INBOUND, InboundPorts::parse);
    parsers.put(ConfigKeys.UPGRADE_INBOUND, UpgradeModes::parse);
    parsers.put(ConfigKeys.UPGRADE_OUTBOUND, UpgradeModes::parse);
    // The chart's cluster-wide settings (injector.defaults.plainPorts, injector.sidecar.*).
    parsers.put(ConfigKeys.PLAIN_PORTS, WorkloadValues::checkPorts);
    parsers.put(ConfigKeys.OUTBOUND, WorkloadValues::checkOutbound);
    parsers.put(ConfigKeys.DRAIN, text -> Durations.parse(text, "value"));
    parsers.put(ConfigKeys.IDLE_TIMEOUT, text -> Durations.parse(text, "value"));
    parsers.put(ConfigKeys.HANDSHAKE_TIMEOUT, text -> Durations.parse(text, "value"));
    PARSERS = Collections.unmodifiableMap(parsers);
  }

  private WorkloadValues() {}

  /** {@code LANYARD_PLAIN_PORTS}: a comma list of ports 1-65535. */
  private static String checkPorts(String text) {
    for (String entry : text.split(",")) {
      String item = entry.trim();
      if (!item.isEmpty() && port(item) < 1) {
        throw new IllegalArgumentException("plain port \"" + item + "\" is not a port number"
            + " (1-65535); write a comma list such as 8080,9090");
      }
    }
    return text;
  }

  /** {@code LANYARD_OUTBOUND}: {@code listenHost:port=host:port[,...]}. */
  private static String checkOutbound(String text) {
    for (String entry : text.split(",")) {
      String item = entry.trim();
      if (item.isEmpty()) {
        continue;
      }
      String[] sides = item.split("=", -1);
      if (sides.length != 2 || !isHostAndPort(sides[0]) || !isHostAndPort(sides[1])) {
        throw new IllegalArgumentException("entry \"" + item + "\" is not listen=upstream, each"
            + " host:port; write e.g. 127.0.0.1:9001=classifier.ai-agents.svc:8443");
      }
    }
    return text;
  }

  private static boolean isHostAndPort(String text) {
    int colon = text.trim().lastIndexOf(':');
    return colon > 0 && port(text.trim().substring(colon + 1)) > 0;
  }

  private static int port(String text) {
    try {
      int port = Integer.parseInt(text.trim());
      return port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Why the workload would refuse {@code value} for {@code key}: the parser's message, which the
   * workload prints after {@link ConfigKey#describe()}; empty when it accepts the value, when the
   * value is blank (the workload then takes its default), or when {@code key} is not one the
   * webhook sets from a pod or chart value.
   */
  public static Optional<String> problem(ConfigKey key, String value) {
    Function<String, ?> parser = PARSERS.get(key);
    if (parser == null || value == null || value.trim().isEmpty()) {
      return Optional.empty();
    }
    try {
      parser.apply(value.trim());
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }
}
