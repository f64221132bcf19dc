package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import java.util.List;

/**
 * Ties a JVM container's readiness to its SVID: a container without a readiness probe of its own
 * gets one on the javaagent's health port ({@code LANYARD_HEALTH_ADDRESS=0.0.0.0:<port>}, {@code
 * GET /ready} only, naming no identity), so under {@code then=degrade} the pod stays out of its
 * Services until the SVID arrives and turns Ready then, without a restart. A container with its
 * own readiness probe keeps it (a container has one; the application's says when it can serve),
 * and so does one that set {@code LANYARD_HEALTH_ADDRESS} itself.
 */
final class JavaagentReadiness {
  /** The kubelet asks every 2 s; three misses in a row (an SVID that expired) make it unready. */
  static final int PERIOD_SECONDS = 2;

  static final int FAILURE_THRESHOLD = 3;

  private JavaagentReadiness() {}

  /** The javaagent containers that get Lanyard's readiness probe, in the order given. */
  static List<String> wanted(Pod pod, List<String> javaagentContainers) {
    return javaagentContainers.stream()
        .filter(
            name ->
                PodParts.container(pod, name)
                    .filter(c -> c.getReadinessProbe() == null)
                    .filter(c -> PodParts.env(c, LanyardNames.LANYARD_HEALTH_ADDRESS).isEmpty())
                    .isPresent())
        .toList();
  }

  /** Turns the javaagent's health port on at {@code port} and probes its {@code /ready}. */
  static void into(Container container, int port, EnvSetter env) {
    env.literal(container, LanyardNames.LANYARD_HEALTH_ADDRESS, "0.0.0.0:" + port, "");
    HTTPGetAction get = new HTTPGetAction();
    get.setPath("/ready");
    get.setPort(new IntOrString(port));
    get.setScheme("HTTP");
    Probe probe = new Probe();
    probe.setHttpGet(get);
    probe.setPeriodSeconds(PERIOD_SECONDS);
    probe.setTimeoutSeconds(1);
    probe.setSuccessThreshold(1);
    probe.setFailureThreshold(FAILURE_THRESHOLD);
    container.setReadinessProbe(probe);
  }
}
