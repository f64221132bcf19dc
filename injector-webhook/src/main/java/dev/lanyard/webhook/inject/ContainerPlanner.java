package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Decides, per app container, what it gets: the plan that the injection steps carry out. */
final class ContainerPlanner {
  private ContainerPlanner() {}

  static List<ContainerReport> plan(
      Pod pod, PodSettings settings, InjectorConfig config, List<InjectionWarning> warnings) {
    List<Container> containers = PodParts.containers(pod);
    settings
        .selectedContainers()
        .ifPresent(
            selected -> {
              for (String name : selected) {
                if (containers.stream().noneMatch(c -> name.equals(c.getName()))) {
                  warnings.add(
                      new InjectionWarning(
                          Reason.UNKNOWN_CONTAINER,
                          LanyardNames.CONTAINERS
                              + " names \""
                              + name
                              + "\", but the pod has no such container (it has "
                              + String.join(
                                  ", ", containers.stream().map(Container::getName).toList())
                              + ")"));
                }
              }
            });
    List<ContainerReport> plans = new ArrayList<>();
    for (Container container : containers) {
      plans.add(planOne(container, settings, config));
    }
    return plans;
  }

  private static ContainerReport planOne(
      Container container, PodSettings settings, InjectorConfig config) {
    String name = container.getName();
    RuntimeGuess guess =
        RuntimeDetector.detect(container, settings.runtimeOverrides(), config.defaultRuntime());
    Optional<Set<String>> selected = settings.selectedContainers();
    if (selected.isPresent() && !selected.get().contains(name)) {
      return ContainerReport.skipped(
          name,
          guess.toString(),
          Reason.NOT_SELECTED,
          "container "
              + name
              + " is not listed in "
              + LanyardNames.CONTAINERS
              + " ("
              + String.join(",", selected.get())
              + ")");
    }
    ContainerMode mode =
        switch (settings.mode()) {
          case AUTO ->
              switch (guess.runtime()) {
                case JVM -> ContainerMode.JAVAAGENT;
                case OTHER -> ContainerMode.SIDECAR;
                case UNKNOWN -> ContainerMode.JAVAAGENT_AND_SIDECAR;
              };
          case JAVAAGENT -> ContainerMode.JAVAAGENT;
          case SIDECAR -> ContainerMode.SIDECAR;
          case SOCKET -> ContainerMode.SOCKET;
        };
    Optional<String> socketConflict =
        foreignMountAt(container, LanyardNames.SOCKET_MOUNT_PATH, LanyardNames.SOCKET_VOLUME);
    if (socketConflict.isPresent()) {
      return mountConflict(
          name,
          guess,
          socketConflict.get(),
          LanyardNames.SOCKET_MOUNT_PATH,
          "the Workload API socket");
    }
    if (mode.javaagent()) {
      Optional<String> jarConflict =
          foreignMountAt(
              container, LanyardNames.JAVAAGENT_MOUNT_PATH, LanyardNames.JAVAAGENT_VOLUME);
      if (jarConflict.isPresent()) {
        return mountConflict(
            name, guess, jarConflict.get(), LanyardNames.JAVAAGENT_MOUNT_PATH, "the javaagent jar");
      }
      Optional<EnvVar> options = PodParts.env(container, LanyardNames.JAVA_TOOL_OPTIONS);
      if (options.isPresent() && options.get().getValueFrom() != null) {
        return ContainerReport.skipped(
            name,
            guess.toString(),
            Reason.JAVA_TOOL_OPTIONS_FROM_SOURCE,
            "container "
                + name
                + " takes JAVA_TOOL_OPTIONS from "
                + describe(options.get().getValueFrom())
                + ", so Lanyard cannot append "
                + LanyardNames.JAVAAGENT_FLAG
                + " and left it out;"
                + " add that flag to the source, or set "
                + LanyardNames.RUNTIME_PREFIX
                + name
                + "=other to use the sidecar");
      }
    }
    String why =
        settings.mode() == InjectionMode.AUTO
            ? "runtime " + guess
            : LanyardNames.MODE + "=" + settings.mode().wireName();
    return ContainerReport.injected(name, mode, guess.toString(), mode.wireName() + ": " + why);
  }

  private static ContainerReport mountConflict(
      String name, RuntimeGuess guess, String volume, String path, String what) {
    return ContainerReport.skipped(
        name,
        guess.toString(),
        Reason.MOUNT_PATH_CONFLICT,
        "container "
            + name
            + " already mounts volume "
            + volume
            + " at "
            + path
            + ", where Lanyard mounts "
            + what
            + "; move that mount, or leave "
            + name
            + " out with "
            + LanyardNames.CONTAINERS);
  }

  /** The name of a volume other than Lanyard's mounted exactly at {@code path}. */
  private static Optional<String> foreignMountAt(
      Container container, String path, String ourVolume) {
    for (VolumeMount mount : PodParts.mounts(container)) {
      String mountPath =
          mount.getMountPath() == null ? "" : mount.getMountPath().replaceAll("/+$", "");
      if (mountPath.equals(path) && !ourVolume.equals(mount.getName())) {
        return Optional.of(mount.getName());
      }
    }
    return Optional.empty();
  }

  private static String describe(EnvVarSource source) {
    if (source.getConfigMapKeyRef() != null) {
      return "ConfigMap "
          + source.getConfigMapKeyRef().getName()
          + " key "
          + source.getConfigMapKeyRef().getKey();
    }
    if (source.getSecretKeyRef() != null) {
      return "Secret "
          + source.getSecretKeyRef().getName()
          + " key "
          + source.getSecretKeyRef().getKey();
    }
    if (source.getFieldRef() != null) {
      return "field " + source.getFieldRef().getFieldPath();
    }
    if (source.getResourceFieldRef() != null) {
      return "resource field " + source.getResourceFieldRef().getResource();
    }
    return "a valueFrom source";
  }
}
