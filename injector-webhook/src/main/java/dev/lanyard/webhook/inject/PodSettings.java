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
 * @param refusals values handed on to the javaagent or sidecar (allowed peers, startup, JWT
 *     audiences, audit, server IDs) that it would refuse at start, in its words: any makes the pod
 *     refused at admission
 * @param warnings problems the webhook can pass on (a malformed {@code lanyard.dev/inbound} entry,
 *     an unknown {@code lanyard.dev/inject} value)
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
    List<String> refusals,
    List<InjectionWarning> warnings) {

  public PodSettings {
    runtimeOverrides = Map.copyOf(runtimeOverrides);
    invalid = List.copyOf(invalid);
    refusals = List.copyOf(refusals);
    warnings = List.copyOf(warnings);
  }
}
