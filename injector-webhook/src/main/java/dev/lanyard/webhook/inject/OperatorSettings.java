package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import java.util.ArrayList;
import java.util.List;

/**
 * The chart's cluster-wide settings that no pod annotation sets: {@code LANYARD_MESH_HOSTS} in
 * every Lanyard container, {@code LANYARD_PLAIN_PORTS} in javaagent containers, and the sidecar's
 * static outbound routes, timeouts and JVM flags. A container's own value of a variable wins (with
 * a warning from {@link EnvSetter}), as for the other defaults.
 */
final class OperatorSettings {
  private static final String FROM_CHART = ", so the chart's injector.%s does not apply to it";

  private OperatorSettings() {}

  static void intoJavaagentContainer(Container container, InjectorConfig config, EnvSetter env) {
    meshHosts(container, config, env);
    set(container, LanyardNames.LANYARD_PLAIN_PORTS, config.defaults().plainPorts(),
        "defaults.plainPorts", env);
  }

  static void intoSidecar(Container sidecar, InjectorConfig config, EnvSetter env) {
    meshHosts(sidecar, config, env);
    InjectorConfig.Sidecar settings = config.sidecar();
    set(sidecar, LanyardNames.LANYARD_OUTBOUND, settings.outbound(), "sidecar.outbound", env);
    set(sidecar, LanyardNames.LANYARD_DRAIN, settings.timeouts().drain(),
        "sidecar.timeouts.drain", env);
    set(sidecar, LanyardNames.LANYARD_IDLE_TIMEOUT, settings.timeouts().idle(),
        "sidecar.timeouts.idle", env);
    set(sidecar, LanyardNames.LANYARD_HANDSHAKE_TIMEOUT, settings.timeouts().handshake(),
        "sidecar.timeouts.handshake", env);
    if (sidecar.getCommand() == null || sidecar.getCommand().isEmpty()) {
      sidecar.setCommand(command(settings));
    }
  }

  /** {@code /usr/bin/java <jvmFlags> -jar /opt/lanyard/lanyard-sidecar.jar}: the image's entrypoint, with the chart's flags. */
  static List<String> command(InjectorConfig.Sidecar settings) {
    List<String> command = new ArrayList<>();
    command.add(LanyardNames.SIDECAR_JAVA);
    command.addAll(settings.jvmFlags());
    command.add("-jar");
    command.add(LanyardNames.SIDECAR_JAR);
    return command;
  }

  private static void meshHosts(Container container, InjectorConfig config, EnvSetter env) {
    set(container, LanyardNames.LANYARD_MESH_HOSTS, config.defaults().meshHosts(),
        "defaults.meshHosts", env);
  }

  private static void set(Container container, String name, String value, String chartKey,
      EnvSetter env) {
    if (!value.isEmpty()) {
      env.literal(container, name, value, String.format(FROM_CHART, chartKey));
    }
  }
}
