package dev.lanyard.webhook.inject;

import dev.lanyard.config.AppProbe;
import dev.lanyard.config.AppProbes;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.PodAnnotations;
import dev.lanyard.config.UpgradeModes;
import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Keeps the kubelet's probes working on strict upgraded ports, as Istio does with {@code
 * /app-health}: the kubelet is no mesh peer, so its plaintext probe of a port that {@code
 * LANYARD_UPGRADE_INBOUND} makes {@code strict} would be refused. Each liveness, readiness and
 * startup probe of a javaagent container whose {@code httpGet}, {@code tcpSocket} or {@code grpc}
 * port (a number, or a name resolved against the container's ports) is strict becomes an {@code
 * httpGet} of {@code /app-health/<container>/<livez|readyz|startupz>} on the container's Lanyard
 * health port, keeping
 * its period, timeout, thresholds and initial delay; the original goes into {@code
 * LANYARD_APP_PROBES}, which the javaagent runs against the application's own listener (a
 * {@code grpc} probe as {@code grpc.health.v1.Health/Check} of its service).
 *
 * <p>Left as written: {@code exec} probes (no network), probes with an explicit {@code host} (they
 * probe another address than the pod's listener), probes on ports that are not strict (the
 * kubelet's plaintext is served there), and, with a warning, {@code HTTPS} {@code httpGet}s on a
 * strict port (the application terminates TLS there itself; see docs/ARCHITECTURE.md, "Probes on
 * strict ports"). {@code lanyard.dev/rewrite-probes: "false"} turns it off.
 */
final class ProbeRewrite {
  private ProbeRewrite() {}

  /**
   * The probes to move, per javaagent container (in the order given); a container with nothing
   * to move is absent. Touches nothing: {@link #apply} does, once the health port is known.
   */
  static Map<String, AppProbes> plan(
      Pod pod, List<String> javaagentContainers, List<InjectionWarning> warnings) {
    Map<String, AppProbes> plans = new LinkedHashMap<>();
    if ("false".equals(PodParts.annotation(pod, PodAnnotations.REWRITE_PROBES).orElse(""))) {
      return plans;
    }
    for (String name : javaagentContainers) {
      Container container = PodParts.container(pod, name).orElseThrow();
      if (PodParts.env(container, ConfigKeys.APP_PROBES.env()).isPresent()) {
        continue; // the workload wrote its own: its probes are its business
      }
      Optional<UpgradeModes> modes = upgradeModes(container);
      if (modes.isEmpty()) {
        continue;
      }
      Map<String, AppProbe> moved = new LinkedHashMap<>();
      Set<Integer> lanyardPorts = lanyardPorts(container);
      for (AppProbes.Probe kind : AppProbes.Probe.values()) {
        Probe probe = probe(container, kind);
        if (probe != null) {
          original(container, kind, probe, modes.get(), lanyardPorts, warnings)
              .ifPresent(found -> moved.put(AppProbes.path(name, kind), found));
        }
      }
      if (!moved.isEmpty()) {
        plans.put(name, AppProbes.of(moved));
      }
    }
    return plans;
  }

  /**
   * Points the planned probes at {@code healthPort} and records the originals in {@code
   * LANYARD_APP_PROBES}.
   */
  static void apply(Container container, AppProbes probes, int healthPort, EnvSetter env) {
    for (AppProbes.Probe kind : AppProbes.Probe.values()) {
      String path = AppProbes.path(container.getName(), kind);
      if (probes.get(path).isEmpty()) {
        continue;
      }
      Probe probe = probe(container, kind);
      HTTPGetAction get = new HTTPGetAction();
      get.setPath(path);
      get.setPort(new IntOrString(healthPort));
      get.setScheme("HTTP");
      probe.setHttpGet(get);
      probe.setTcpSocket(null);
      probe.setGrpc(null);
    }
    env.literal(container, ConfigKeys.APP_PROBES.env(), probes.toJson(), "");
  }

  /** A container that turned its health port off (or set it from a valueFrom) keeps its probes. */
  static InjectionWarning healthPortOff(Container container) {
    return new InjectionWarning(
        Reason.PROBE_NOT_REWRITTEN,
        "container " + container.getName() + " probes strict ports of "
            + ConfigKeys.UPGRADE_INBOUND.env() + " but sets " + ConfigKeys.HEALTH_ADDRESS.env()
            + " to no port Lanyard can read, so its probes stay as written and the kubelet's"
            + " plaintext will be refused; remove that variable or set it to e.g. 0.0.0.0:15022");
  }

  /** The container's literal {@code LANYARD_UPGRADE_INBOUND}, when it makes anything strict. */
  private static Optional<UpgradeModes> upgradeModes(Container container) {
    Optional<String> value =
        PodParts.env(container, ConfigKeys.UPGRADE_INBOUND.env())
            .filter(env -> env.getValueFrom() == null)
            .map(EnvVar::getValue);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      UpgradeModes modes = UpgradeModes.parse(value.get());
      return modes.enabled() ? Optional.of(modes) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // the javaagent refuses to start with it and says why
    }
  }

  /**
   * The admin and health ports the container set itself: the javaagent never upgrades its own
   * ports, so a probe of one is served as written.
   */
  private static Set<Integer> lanyardPorts(Container container) {
    Set<Integer> ports = new HashSet<>();
    for (String name : List.of(ConfigKeys.ADMIN_ADDRESS.env(), ConfigKeys.HEALTH_ADDRESS.env())) {
      PodParts.env(container, name)
          .map(EnvVar::getValue)
          .flatMap(AdminPorts::portOf)
          .ifPresent(ports::add);
    }
    return ports;
  }

  private static Optional<AppProbe> original(
      Container container,
      AppProbes.Probe kind,
      Probe probe,
      UpgradeModes modes,
      Set<Integer> lanyardPorts,
      List<InjectionWarning> warnings) {
    int timeout = probe.getTimeoutSeconds() == null ? 1 : probe.getTimeoutSeconds();
    HTTPGetAction get = probe.getHttpGet();
    if (get != null && get.getHost() == null) {
      Optional<Integer> port = strictPort(container, get.getPort(), modes, lanyardPorts);
      if (port.isEmpty()) {
        return Optional.empty();
      }
      if (get.getScheme() != null && !"HTTP".equalsIgnoreCase(get.getScheme())) {
        warnings.add(notRewritten(container, kind, "an " + get.getScheme() + " httpGet", port.get(),
            "the application serves TLS on that port itself, so make it off in "
                + ConfigKeys.UPGRADE_INBOUND.env() + " (e.g. " + port.get() + "=off)"));
        return Optional.empty();
      }
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (HTTPHeader header :
          get.getHttpHeaders() == null ? List.<HTTPHeader>of() : get.getHttpHeaders()) {
        headers.add(AppProbe.header(header.getName(), header.getValue()));
      }
      return Optional.of(AppProbe.httpGet(port.get(), get.getPath(), headers, timeout));
    }
    if (probe.getTcpSocket() != null && probe.getTcpSocket().getHost() == null) {
      return strictPort(container, probe.getTcpSocket().getPort(), modes, lanyardPorts)
          .map(port -> AppProbe.tcpSocket(port, timeout));
    }
    if (probe.getGrpc() != null && probe.getGrpc().getPort() != null) {
      // A grpc probe has no host and its port is a number (the Kubernetes API says so).
      return strictPort(container, new IntOrString(probe.getGrpc().getPort()), modes, lanyardPorts)
          .map(port -> AppProbe.grpc(port, probe.getGrpc().getService(), timeout));
    }
    return Optional.empty();
  }

  private static InjectionWarning notRewritten(
      Container container, AppProbes.Probe kind, String what, int port, String fix) {
    return new InjectionWarning(
        Reason.PROBE_NOT_REWRITTEN,
        "container " + container.getName() + ": its " + kind.name().toLowerCase(java.util.Locale.ROOT) + " probe is "
            + what + " probe of port " + port + ", which is strict in "
            + ConfigKeys.UPGRADE_INBOUND.env() + ", so the kubelet's plaintext will be refused"
            + " there and Lanyard cannot move it; " + fix);
  }

  /** The probe's port as a number, when that port is strict; a name unknown to the container: empty. */
  private static Optional<Integer> strictPort(
      Container container, IntOrString port, UpgradeModes modes, Set<Integer> lanyardPorts) {
    Optional<Integer> number = resolve(container, port);
    return number.filter(value -> modes.modeFor(value) == UpgradeModes.Mode.STRICT
        && !lanyardPorts.contains(value));
  }

  private static Optional<Integer> resolve(Container container, IntOrString port) {
    if (port == null) {
      return Optional.empty();
    }
    if (port.getIntVal() != null) {
      return Optional.of(port.getIntVal());
    }
    String name = port.getStrVal();
    for (ContainerPort declared :
        container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
      if (name != null && name.equals(declared.getName()) && declared.getContainerPort() != null) {
        return Optional.of(declared.getContainerPort());
      }
    }
    return Optional.empty(); // the kubelet cannot resolve it either: the pod's own problem
  }

  private static Probe probe(Container container, AppProbes.Probe kind) {
    return ACCESSORS.get(kind).apply(container);
  }

  private static final Map<AppProbes.Probe, Function<Container, Probe>> ACCESSORS =
      Map.of(
          AppProbes.Probe.LIVENESS, Container::getLivenessProbe,
          AppProbes.Probe.READINESS, Container::getReadinessProbe,
          AppProbes.Probe.STARTUP, Container::getStartupProbe);
}
