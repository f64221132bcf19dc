package dev.lanyard.webhook.inject;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.PodAnnotations;
import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Plain ports upgraded to mTLS inside the JVM: {@code LANYARD_UPGRADE_INBOUND} and {@code
 * LANYARD_UPGRADE_OUTBOUND} in each javaagent container, from {@code lanyard.dev/upgrade-inbound}
 * and {@code lanyard.dev/upgrade-outbound}, else the chart's {@code injector.defaults.upgradeInbound}
 * and {@code .upgradeOutbound} (an annotation always wins; both unset: nothing is set, the agent's
 * default is off). Inbound is scoped per container by {@link UpgradeScope}; outbound names
 * destination ports and is set as written. The webhook refused a value the agent would refuse
 * before this runs (PodSettingsReader, lanyard-config's {@code WorkloadValues}).
 *
 * <p>Runs right after the javaagent's own variables and before anything that reads them (probe
 * handling reads the container's {@code LANYARD_UPGRADE_INBOUND}), so the variable on the
 * container is the one source of truth. Only the javaagent upgrades plain ports: the sidecar
 * path ignores these, and a pod that asks for them without a javaagent container gets a warning.
 */
final class UpgradeInjection {
  private UpgradeInjection() {}

  /**
   * Sets both variables on one javaagent container, unless it sets them itself.
   *
   * @param lanyardPorts the ports Lanyard's own listeners take in this pod, never upgraded
   */
  static void intoJavaagentContainer(
      Pod pod, Container container, InjectorConfig config, Set<Integer> lanyardPorts, EnvSetter env) {
    inbound(pod, config)
        .ifPresent(
            value ->
                env.literal(
                    container,
                    ConfigKeys.UPGRADE_INBOUND.env(),
                    UpgradeScope.inbound(value, declaredTcpPorts(container, lanyardPorts)),
                    doesNotApply(PodAnnotations.UPGRADE_INBOUND)));
    outbound(pod, config)
        .ifPresent(
            value ->
                env.literal(
                    container,
                    ConfigKeys.UPGRADE_OUTBOUND.env(),
                    value.trim(),
                    doesNotApply(PodAnnotations.UPGRADE_OUTBOUND)));
  }

  /** A warning when the pod's own annotations ask for an upgrade nothing in it performs. */
  static void warnWithoutJavaagent(Pod pod, List<InjectionWarning> warnings) {
    for (String annotation :
        List.of(PodAnnotations.UPGRADE_INBOUND, PodAnnotations.UPGRADE_OUTBOUND)) {
      PodParts.annotation(pod, annotation)
          .ifPresent(
              value ->
                  warnings.add(
                      new InjectionWarning(
                          Reason.UPGRADE_WITHOUT_JAVAAGENT,
                          annotation
                              + "=\""
                              + value
                              + "\" is set but no container of pod "
                              + PodParts.displayName(pod)
                              + " gets the javaagent, which is what upgrades plain ports to"
                              + " mTLS; the sidecar serves mTLS on the lanyard.dev/inbound mesh"
                              + " ports and proxies HTTP_PROXY calls instead")));
    }
  }

  private static Optional<String> inbound(Pod pod, InjectorConfig config) {
    return PodParts.annotation(pod, PodAnnotations.UPGRADE_INBOUND)
        .or(config.defaults()::upgradeInboundIfSet);
  }

  private static Optional<String> outbound(Pod pod, InjectorConfig config) {
    return PodParts.annotation(pod, PodAnnotations.UPGRADE_OUTBOUND)
        .or(config.defaults()::upgradeOutboundIfSet);
  }

  /**
   * The container's declared TCP ports (no protocol means TCP), without Lanyard's: the ones it
   * takes in this pod and the metrics port it declared on an earlier injection.
   */
  static List<Integer> declaredTcpPorts(Container container, Set<Integer> lanyardPorts) {
    List<Integer> ports = new ArrayList<>();
    for (ContainerPort port :
        container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
      Integer number = port.getContainerPort();
      boolean tcp = port.getProtocol() == null || "TCP".equals(port.getProtocol());
      if (number != null
          && tcp
          && !lanyardPorts.contains(number)
          && !LanyardNames.METRICS_PORT_NAME.equals(port.getName())
          && !ports.contains(number)) {
        ports.add(number);
      }
    }
    return ports;
  }

  private static String doesNotApply(String annotation) {
    return ", so " + annotation + " (or the chart's default) does not apply to it";
  }
}
