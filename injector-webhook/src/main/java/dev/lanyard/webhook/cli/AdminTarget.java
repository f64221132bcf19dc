package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.inject.InjectionStatus;
import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One Lanyard process in an injected pod, found through the admin ports its {@code
 * lanyard.dev/status} names: the sidecar ({@code lanyard-sidecar}) or a javaagent in an app
 * container. {@code phase} is the pod's, since only a running pod's endpoint can answer.
 */
record AdminTarget(String namespace, String pod, String container, int port, String phase) {
  static final String AGENT = "agent";
  static final String SIDECAR = "sidecar";

  /** {@code agent} or {@code sidecar}. */
  String runtime() {
    return LanyardNames.SIDECAR_CONTAINER.equals(container) ? SIDECAR : AGENT;
  }

  boolean running() {
    return "Running".equals(phase);
  }

  /** Why it cannot be asked, for a pod that does not run. */
  String notRunning() {
    return "pod is " + (phase == null ? "not scheduled" : phase);
  }

  /** Every Lanyard process of the injected pods, in pod order; other pods have none. */
  static List<AdminTarget> of(List<Pod> pods) {
    List<AdminTarget> targets = new ArrayList<>();
    for (Pod pod : pods) {
      status(pod)
          .ifPresent(
              status -> {
                String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
                status
                    .adminPorts()
                    .forEach(
                        (container, port) ->
                            targets.add(
                                new AdminTarget(
                                    pod.getMetadata().getNamespace(),
                                    pod.getMetadata().getName(),
                                    container,
                                    port,
                                    phase)));
              });
    }
    return targets;
  }

  /** The pod's {@code lanyard.dev/status}, when it was injected. */
  static Optional<InjectionStatus> status(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations == null
        ? Optional.empty()
        : InjectionStatus.parse(annotations.get(LanyardNames.STATUS));
  }
}
