package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gives an injected pod its one Prometheus scrape target: the metrics port ({@code GET /metrics}
 * only, without the metrics that name peers) of its sidecar, or, without a sidecar, of its first
 * javaagent container. One per pod because {@code prometheus.io/port} names one port; the other
 * javaagents' metrics stay on their loopback admin endpoints.
 */
final class MetricsPort {
  private MetricsPort() {}

  static void apply(Pod pod, InjectorConfig config, boolean sidecar,
      List<String> javaagentContainers, EnvSetter env, List<InjectionWarning> warnings) {
    InjectorConfig.Metrics metrics = config.metrics();
    if (!metrics.enabled()) {
      return;
    }
    Optional<Container> target = sidecar
        ? PodParts.initContainer(pod, LanyardNames.SIDECAR_CONTAINER)
        : javaagentContainers.stream().findFirst().flatMap(name -> PodParts.container(pod, name));
    if (target.isEmpty()) {
      return;
    }
    Container container = target.get();
    int port = metrics.port();
    Optional<String> taken = declaredElsewhere(pod, port);
    if (taken.isPresent()) {
      // With the sidecar LanyardPorts refuses such a pod; a JVM-only pod keeps its port.
      warnings.add(new InjectionWarning(Reason.METRICS_PORT_TAKEN, "container " + taken.get()
          + " declares port " + port + ", Lanyard's metrics port, so pod "
          + PodParts.displayName(pod) + " gets no metrics port (its metrics stay on the admin"
          + " endpoint); set the chart's injector.metrics.port to a free port"));
      return;
    }
    env.literal(container, LanyardNames.LANYARD_METRICS_ADDRESS, "0.0.0.0:" + port,
        ", so Prometheus may not find its metrics on port " + port);
    addPort(container, port);
    if (metrics.scrapeAnnotations()) {
      Map<String, String> annotations = PodParts.annotations(pod);
      if (!annotations.containsKey(LanyardNames.PROMETHEUS_SCRAPE)) {
        annotations.put(LanyardNames.PROMETHEUS_SCRAPE, "true");
        annotations.put(LanyardNames.PROMETHEUS_PORT, Integer.toString(port));
        annotations.put(LanyardNames.PROMETHEUS_PATH, "/metrics");
      }
    }
  }

  /** The app container that declares {@code port} under another name than ours, if any. */
  private static Optional<String> declaredElsewhere(Pod pod, int port) {
    for (List<Container> group : List.of(PodParts.containers(pod), PodParts.initContainers(pod))) {
      for (Container container : group) {
        for (ContainerPort declared : ports(container)) {
          if (declared.getContainerPort() != null && declared.getContainerPort() == port
              && !LanyardNames.METRICS_PORT_NAME.equals(declared.getName())) {
            return Optional.of(container.getName());
          }
        }
      }
    }
    return Optional.empty();
  }

  private static void addPort(Container container, int port) {
    if (ports(container).stream()
        .anyMatch(declared -> LanyardNames.METRICS_PORT_NAME.equals(declared.getName()))) {
      return;
    }
    ContainerPort metrics = new ContainerPort();
    metrics.setName(LanyardNames.METRICS_PORT_NAME);
    metrics.setContainerPort(port);
    metrics.setProtocol("TCP");
    List<ContainerPort> ports = new ArrayList<>(ports(container));
    ports.add(metrics);
    container.setPorts(ports);
  }

  private static List<ContainerPort> ports(Container container) {
    return container.getPorts() == null ? List.of() : container.getPorts();
  }
}
