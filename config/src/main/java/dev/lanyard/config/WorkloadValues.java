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
    PARSERS = Collections.unmodifiableMap(parsers);
  }

  private WorkloadValues() {}

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
