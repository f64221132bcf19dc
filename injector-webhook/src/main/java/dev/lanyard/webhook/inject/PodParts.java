package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Null-safe access to the parts of a pod that injection reads and writes. Pods from admission
 * requests and files may lack any of them; the setters create what is missing.
 */
final class PodParts {
  private PodParts() {}

  static ObjectMeta metadata(Pod pod) {
    if (pod.getMetadata() == null) {
      pod.setMetadata(new ObjectMeta());
    }
    return pod.getMetadata();
  }

  static PodSpec spec(Pod pod) {
    if (pod.getSpec() == null) {
      pod.setSpec(new PodSpec());
    }
    return pod.getSpec();
  }

  static Map<String, String> annotations(Pod pod) {
    ObjectMeta meta = metadata(pod);
    if (meta.getAnnotations() == null) {
      meta.setAnnotations(new LinkedHashMap<>());
    }
    return meta.getAnnotations();
  }

  static Optional<String> annotation(Pod pod, String key) {
    return pod.getMetadata() == null || pod.getMetadata().getAnnotations() == null
        ? Optional.empty()
        : Optional.ofNullable(pod.getMetadata().getAnnotations().get(key));
  }

  static List<Container> containers(Pod pod) {
    PodSpec spec = spec(pod);
    if (spec.getContainers() == null) {
      spec.setContainers(new ArrayList<>());
    }
    return spec.getContainers();
  }

  static List<Container> initContainers(Pod pod) {
    PodSpec spec = spec(pod);
    if (spec.getInitContainers() == null) {
      spec.setInitContainers(new ArrayList<>());
    }
    return spec.getInitContainers();
  }

  static List<Volume> volumes(Pod pod) {
    PodSpec spec = spec(pod);
    if (spec.getVolumes() == null) {
      spec.setVolumes(new ArrayList<>());
    }
    return spec.getVolumes();
  }

  static Optional<Volume> volume(Pod pod, String name) {
    return volumes(pod).stream().filter(v -> name.equals(v.getName())).findFirst();
  }

  static Optional<Container> container(Pod pod, String name) {
    return containers(pod).stream().filter(c -> name.equals(c.getName())).findFirst();
  }

  static Optional<Container> initContainer(Pod pod, String name) {
    return initContainers(pod).stream().filter(c -> name.equals(c.getName())).findFirst();
  }

  static List<EnvVar> env(Container container) {
    if (container.getEnv() == null) {
      container.setEnv(new ArrayList<>());
    }
    return container.getEnv();
  }

  static Optional<EnvVar> env(Container container, String name) {
    return env(container).stream().filter(e -> name.equals(e.getName())).findFirst();
  }

  static List<VolumeMount> mounts(Container container) {
    if (container.getVolumeMounts() == null) {
      container.setVolumeMounts(new ArrayList<>());
    }
    return container.getVolumeMounts();
  }

  /**
   * Mounts {@code volume} read-only at {@code path} unless the container already mounts it there.
   */
  static void ensureReadOnlyMount(Container container, String volume, String path) {
    boolean present =
        mounts(container).stream()
            .anyMatch(m -> volume.equals(m.getName()) && path.equals(m.getMountPath()));
    if (!present) {
      VolumeMount mount = new VolumeMount();
      mount.setName(volume);
      mount.setMountPath(path);
      mount.setReadOnly(true);
      mounts(container).add(mount);
    }
  }

  static void ensureVolume(Pod pod, Volume volume) {
    if (volume(pod, volume.getName()).isEmpty()) {
      volumes(pod).add(volume);
    }
  }

  /** {@code name}, else {@code generateName*}, else {@code <unnamed>}: what people call the pod. */
  static String displayName(Pod pod) {
    ObjectMeta meta = pod.getMetadata();
    if (meta != null && meta.getName() != null && !meta.getName().isEmpty()) {
      return meta.getName();
    }
    if (meta != null && meta.getGenerateName() != null && !meta.getGenerateName().isEmpty()) {
      return meta.getGenerateName() + "*";
    }
    return "<unnamed>";
  }
}
