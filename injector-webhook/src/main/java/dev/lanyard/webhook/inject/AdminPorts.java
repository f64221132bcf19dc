package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Gives every Lanyard process in the pod its own admin port. All containers of a pod share one
 * network namespace, so a sidecar and two javaagents cannot all listen on 15000: the sidecar (if
 * any) gets the configured port, then each javaagent container the next free one, skipping the
 * sidecar's other ports ({@link LanyardPorts}: outbound proxy, {@code /shutdown}, health), every
 * declared container port and every {@code lanyard.dev/inbound} port. {@code lanyard.dev/status}
 * records the result, which is how {@code lanyard identities} finds them.
 */
final class AdminPorts {
  private AdminPorts() {}

  /**
   * @return process name (the sidecar's container name, or an app container's) to admin port, in
   *     allocation order; a container that set {@code LANYARD_ADMIN_ADDRESS} itself keeps its port
   *     (absent from the map when it turned the endpoint off)
   */
  static Map<String, Integer> allocate(
      Pod pod,
      InjectorConfig config,
      PodSettings settings,
      boolean sidecar,
      List<String> javaagentContainers) {
    return allocate(pod, config, sidecar, javaagentContainers, taken(pod, config, settings));
  }

  /**
   * Each javaagent container that gets a readiness probe from Lanyard ({@link
   * JavaagentReadiness#wanted}) its health port: the next port after the sidecar's health port
   * that no admin endpoint, sidecar listener, declared container port or inbound route uses.
   *
   * @return container name to health port, in the order of {@code containers}
   */
  static Map<String, Integer> allocateHealth(
      Pod pod,
      InjectorConfig config,
      PodSettings settings,
      Map<String, Integer> adminPorts,
      List<String> containers) {
    Set<Integer> taken = taken(pod, config, settings);
    taken.addAll(adminPorts.values());
    Map<String, Integer> ports = new LinkedHashMap<>();
    int next = config.sidecar().healthPort();
    for (String name : containers) {
      next = free(next, taken);
      ports.put(name, next);
      taken.add(next);
    }
    return ports;
  }

  private static Map<String, Integer> allocate(
      Pod pod,
      InjectorConfig config,
      boolean sidecar,
      List<String> javaagentContainers,
      Set<Integer> taken) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    // Ports the workload chose itself are taken first, so allocation never hands them out again.
    for (String name : javaagentContainers) {
      LanyardPorts.ownAdminPort(pod, name).ifPresent(taken::add);
    }
    int next = config.sidecar().adminPort();
    if (sidecar) {
      next = free(next, taken);
      ports.put(LanyardNames.SIDECAR_CONTAINER, next);
      taken.add(next);
    }
    for (String name : javaagentContainers) {
      Optional<String> own =
          PodParts.container(pod, name)
              .flatMap(c -> PodParts.env(c, LanyardNames.LANYARD_ADMIN_ADDRESS))
              .map(EnvVar::getValue);
      if (own.isPresent()) {
        portOf(own.get()).ifPresent(port -> ports.put(name, port));
        continue;
      }
      next = free(next, taken);
      ports.put(name, next);
      taken.add(next);
    }
    return ports;
  }

  /**
   * The sidecar's fixed ports, the inbound routes' ports and every port a workload container
   * declares.
   */
  private static Set<Integer> taken(Pod pod, InjectorConfig config, PodSettings settings) {
    Set<Integer> taken = new HashSet<>();
    taken.addAll(LanyardPorts.fixedSidecarPorts(config).keySet());
    taken.addAll(PodSettingsReader.inboundPorts(settings.inbound()));
    for (List<Container> group : List.of(PodParts.containers(pod), PodParts.initContainers(pod))) {
      for (Container container : group) {
        if (LanyardNames.SIDECAR_CONTAINER.equals(container.getName())) {
          continue; // its own admin port, when re-injecting, is not a workload port
        }
        for (ContainerPort port :
            container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
          if (port.getContainerPort() != null) {
            taken.add(port.getContainerPort());
          }
        }
      }
    }
    return taken;
  }

  private static int free(int from, Set<Integer> taken) {
    int port = from;
    while (taken.contains(port)) {
      port++;
    }
    return port;
  }

  /** The port of {@code host:port}; empty for {@code off} or anything unparsable. */
  static Optional<Integer> portOf(String address) {
    if (address == null) {
      return Optional.empty();
    }
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return Optional.empty();
    }
    try {
      int port = Integer.parseInt(address.substring(colon + 1).trim());
      return port > 0 && port <= 65535 ? Optional.of(port) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
