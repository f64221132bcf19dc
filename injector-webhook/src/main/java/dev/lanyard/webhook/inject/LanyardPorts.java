package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The one place that knows which ports Lanyard's own listeners take in a pod. All containers of a
 * pod share one network namespace, so each of these needs a port of its own:
 *
 * <ul>
 *   <li>the sidecar's admin endpoint ({@code sidecar.adminPort}, 15000, on loopback; it moves to
 *       the next free port when an app container declares it), outbound HTTP proxy (15001),
 *       {@code POST /shutdown} (15002) and health port (15021, the startup probe's);
 *   <li>each javaagent's admin endpoint, allocated by {@link AdminPorts} around all of the above.
 * </ul>
 *
 * Anything a pod asks for that lands on one of them is refused with the reason: a {@code
 * lanyard.dev/inbound} entry (its app port would hand the listener to every allowed mesh peer, e.g.
 * {@code 8443:15002} exposes {@code POST /shutdown}; its mesh port could not be bound), and, in a
 * pod that gets the sidecar, an app container's declared port or own {@code LANYARD_ADMIN_ADDRESS}
 * on a fixed sidecar port (one of the two would fail to bind).
 */
final class LanyardPorts {
  private LanyardPorts() {}

  /**
   * The sidecar's fixed listeners, port to what listens there (the admin port is the configured
   * one: an annotation may not name it even where the admin endpoint moved).
   */
  static Map<Integer, String> sidecarPorts(InjectorConfig config) {
    InjectorConfig.Sidecar sidecar = config.sidecar();
    Map<Integer, String> ports = new LinkedHashMap<>();
    ports.put(sidecar.adminPort(),
        "the sidecar's admin endpoint (/identity, /audit, /metrics, on loopback)");
    ports.put(sidecar.outboundProxyPort(), "the sidecar's outbound HTTP proxy (HTTP_PROXY)");
    ports.put(sidecar.shutdownPort(), "the sidecar's POST /shutdown");
    ports.put(sidecar.healthPort(), "the sidecar's health port (its startup probe's GET /ready)");
    if (config.metrics().enabled()) {
      ports.putIfAbsent(config.metrics().port(),
          "Lanyard's metrics port (GET /metrics for Prometheus, on the pod IP)");
    }
    return ports;
  }

  /** The ports that never move: every sidecar port but the admin endpoint's. */
  static Map<Integer, String> fixedSidecarPorts(InjectorConfig config) {
    Map<Integer, String> ports = sidecarPorts(config);
    ports.remove(config.sidecar().adminPort());
    return ports;
  }

  /**
   * Why the pod must be refused, if anything it asks for lands on a Lanyard port: one sentence per
   * clash, naming the port, what Lanyard uses it for and the fix.
   *
   * @param sidecar whether the pod gets the sidecar
   * @param javaagentContainers the app containers that get the javaagent
   */
  static List<String> clashes(Pod pod, InjectorConfig config, PodSettings settings,
      boolean sidecar, List<String> javaagentContainers) {
    List<String> problems = new ArrayList<>();
    Map<Integer, String> lanyard = sidecarPorts(config);
    for (String name : javaagentContainers) {
      ownAdminPort(pod, name).ifPresent(port -> lanyard.putIfAbsent(port,
          "the javaagent admin endpoint of container " + name + " (its LANYARD_ADMIN_ADDRESS)"));
    }
    settings.inbound().ifPresent(value -> {
      for (int[] pair : PodSettingsReader.inboundPairs(value)) {
        String entry = LanyardNames.INBOUND + " entry \"" + pair[0] + ":" + pair[1] + "\"";
        if (lanyard.containsKey(pair[1])) {
          problems.add(entry + " routes mesh peers to port " + pair[1] + ", which is "
              + lanyard.get(pair[1]) + "; Lanyard's ports are never reachable through an inbound"
              + " route; route the mesh port to the application's own port, e.g. 8443:8080");
        } else if (lanyard.containsKey(pair[0])) {
          problems.add(entry + " uses mesh port " + pair[0] + ", which is " + lanyard.get(pair[0])
              + "; choose another mesh port, e.g. 8443");
        }
      }
    });
    if (!sidecar) {
      return problems;
    }
    Map<Integer, String> fixed = fixedSidecarPorts(config);
    for (Container container : PodParts.containers(pod)) {
      for (ContainerPort port :
          container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
        Integer number = port.getContainerPort();
        if (number != null && fixed.containsKey(number)) {
          problems.add("container " + container.getName() + " declares port " + number
              + ", which is " + fixed.get(number) + " in this pod; move the application off"
              + " port " + number);
        }
      }
    }
    for (String name : javaagentContainers) {
      ownAdminPort(pod, name).filter(fixed::containsKey).ifPresent(port -> problems.add(
          "container " + name + " sets " + LanyardNames.LANYARD_ADMIN_ADDRESS + " to port " + port
              + ", which is " + fixed.get(port) + " in this pod; remove it and Lanyard gives the"
              + " javaagent a free port"));
    }
    return problems;
  }

  /** The port of a container's own {@code LANYARD_ADMIN_ADDRESS}, if it set one. */
  static Optional<Integer> ownAdminPort(Pod pod, String container) {
    return PodParts.container(pod, container)
        .flatMap(c -> PodParts.env(c, LanyardNames.LANYARD_ADMIN_ADDRESS))
        .map(EnvVar::getValue)
        .flatMap(AdminPorts::portOf);
  }

  /**
   * The ports Lanyard's own listeners take in this pod: every admin endpoint, and with the sidecar
   * its fixed listeners and the metrics port (without one, the metrics port is a javaagent's only
   * when no app container declares it, see {@link MetricsPort}).
   */
  static Set<Integer> inPod(InjectorConfig config, boolean sidecar,
      Map<String, Integer> adminPorts) {
    Set<Integer> ports = new HashSet<>(adminPorts.values());
    if (sidecar) {
      ports.addAll(sidecarPorts(config).keySet());
    }
    return ports;
  }
}
