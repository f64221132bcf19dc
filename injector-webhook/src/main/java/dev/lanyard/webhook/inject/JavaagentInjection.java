package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ImageVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.List;
import java.util.Optional;

/**
 * The javaagent for JVM containers: the jar at {@code /lanyard/javaagent.jar} (copied by an init
 * container into a size-limited emptyDir, or an image volume), and {@code -javaagent} appended to
 * {@code JAVA_TOOL_OPTIONS}, which every HotSpot JVM reads whatever the image's entrypoint is.
 */
final class JavaagentInjection {
  private JavaagentInjection() {}

  static Volume volume(InjectorConfig.Javaagent javaagent) {
    Volume volume = new Volume();
    volume.setName(LanyardNames.JAVAAGENT_VOLUME);
    if (javaagent.delivery() == InjectorConfig.JarDelivery.IMAGE) {
      ImageVolumeSource image = new ImageVolumeSource();
      image.setReference(javaagent.image());
      image.setPullPolicy(javaagent.imagePullPolicy());
      volume.setImage(image);
    } else {
      EmptyDirVolumeSource emptyDir = new EmptyDirVolumeSource();
      emptyDir.setSizeLimit(new Quantity(javaagent.volumeSizeLimit()));
      volume.setEmptyDir(emptyDir);
    }
    return volume;
  }

  static boolean looksLikeOurs(Volume volume) {
    return volume.getEmptyDir() != null || volume.getImage() != null;
  }

  /**
   * The init container that copies the jar out of the javaagent image before any app container
   * starts.
   */
  static Container copyContainer(InjectorConfig config) {
    Container copy = new Container();
    copy.setName(LanyardNames.JAVAAGENT_INIT_CONTAINER);
    copy.setImage(config.javaagent().image());
    copy.setImagePullPolicy(config.javaagent().imagePullPolicy());
    copy.setCommand(List.copyOf(config.javaagent().copyCommand()));
    VolumeMount mount = new VolumeMount();
    mount.setName(LanyardNames.JAVAAGENT_VOLUME);
    mount.setMountPath(LanyardNames.JAVAAGENT_MOUNT_PATH);
    copy.setVolumeMounts(new java.util.ArrayList<>(List.of(mount)));
    copy.setResources(RestrictedSecurity.copy(config.javaagent().resources()));
    copy.setSecurityContext(RestrictedSecurity.forInjectedContainer(config.security()));
    return copy;
  }

  /**
   * Adds the jar volume and (for delivery copy) the copy init container, first of all init
   * containers.
   */
  static void addJar(Pod pod, InjectorConfig config) {
    PodParts.ensureVolume(pod, volume(config.javaagent()));
    if (config.javaagent().delivery() == InjectorConfig.JarDelivery.COPY
        && PodParts.initContainer(pod, LanyardNames.JAVAAGENT_INIT_CONTAINER).isEmpty()) {
      PodParts.initContainers(pod).add(0, copyContainer(config));
    }
  }

  /**
   * Gives one JVM container the jar, the flag and its admin address.
   *
   * @param adminPort null when the container turned its admin endpoint off itself
   */
  static void into(
      Container container,
      Integer adminPort,
      PodSettings settings,
      EnvSetter env,
      List<InjectionWarning> warnings) {
    PodParts.ensureReadOnlyMount(
        container, LanyardNames.JAVAAGENT_VOLUME, LanyardNames.JAVAAGENT_MOUNT_PATH);
    Optional<EnvVar> options = PodParts.env(container, LanyardNames.JAVA_TOOL_OPTIONS);
    if (options.isPresent()) {
      // Literal only: the planner left out containers whose value comes from a valueFrom source.
      options.get().setValue(JavaToolOptions.withJavaagent(options.get().getValue()));
    } else {
      env.literal(container, LanyardNames.JAVA_TOOL_OPTIONS, LanyardNames.JAVAAGENT_FLAG, "");
      if (container.getEnvFrom() != null && !container.getEnvFrom().isEmpty()) {
        // An explicit env entry beats envFrom: if the ConfigMap or Secret carries
        // JAVA_TOOL_OPTIONS, ours now hides it, and Lanyard cannot see that source to merge.
        warnings.add(
            new InjectionWarning(
                Reason.JAVA_TOOL_OPTIONS_OVER_ENV_FROM,
                "container "
                    + container.getName()
                    + " has envFrom; if that source sets JAVA_TOOL_OPTIONS, Lanyard's"
                    + " JAVA_TOOL_OPTIONS="
                    + LanyardNames.JAVAAGENT_FLAG
                    + " now hides it; set those"
                    + " options in the container's env instead, and Lanyard appends to them"));
      }
    }
    if (adminPort != null) {
      env.literal(container, LanyardNames.LANYARD_ADMIN_ADDRESS, "127.0.0.1:" + adminPort, "");
    }
    env.policyFromAnnotations(container, settings);
  }
}
