package dev.lanyard.webhook.inject;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A pod's {@code lanyard.dev/*} labels and annotations, parsed once.
 *
 * @param selectedContainers {@code lanyard.dev/containers}, empty when every app container is meant
 * @param invalid problems with annotations that decide <em>what</em> is injected; any makes the pod
 *     skipped, since guessing the intent of {@code mode: none} would be worse than not injecting
 * @param warnings problems with values handed on to the javaagent or sidecar (allowed peers,
 *     startup, inbound, JWT audiences, audit, server IDs): those pass through, and the runtime refuses them loudly at start
 */
public record PodSettings(
    boolean optedOut,
    String optOutSource,
    InjectionMode mode,
    Optional<Set<String>> selectedContainers,
    Map<String, RuntimeKind> runtimeOverrides,
    Optional<String> allowedPeers,
    Optional<String> startup,
    Optional<String> inbound,
    Optional<String> jwtAudiences,
    Optional<String> inboundJwtAudience,
    Optional<String> audit,
    Optional<String> serverIds,
    Optional<String> meshCidrs,
    Optional<String> externalHosts,
    List<String> invalid,
    List<InjectionWarning> warnings) {

  public PodSettings {
    runtimeOverrides = Map.copyOf(runtimeOverrides);
    invalid = List.copyOf(invalid);
    warnings = List.copyOf(warnings);
  }
}
