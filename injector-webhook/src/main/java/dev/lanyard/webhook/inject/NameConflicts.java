package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds volumes and containers that already carry one of Lanyard's names but are not what Lanyard
 * would add. Reusing them would mount the wrong thing; renaming ours would break the names the
 * javaagent, sidecar and tools rely on; so the pod is skipped with the names to change. Things that
 * look like Lanyard's own (the same CSI driver, an emptyDir, our image) are reused, which is what
 * makes injecting an injected pod again a no-op.
 */
final class NameConflicts {
  private NameConflicts() {}

  static Optional<String> find(Pod pod, InjectorConfig config) {
    List<String> conflicts = new ArrayList<>();
    PodParts.volume(pod, LanyardNames.SOCKET_VOLUME)
        .filter(v -> !SocketInjection.looksLikeOurs(v, config.socket()))
        .ifPresent(
            v ->
                conflicts.add(
                    "volume "
                        + v.getName()
                        + " ("
                        + kind(v)
                        + ", not the "
                        + config.socket().type().wireName()
                        + " Workload API socket)"));
    PodParts.volume(pod, LanyardNames.JAVAAGENT_VOLUME)
        .filter(v -> !JavaagentInjection.looksLikeOurs(v))
        .ifPresent(v -> conflicts.add("volume " + v.getName() + " (" + kind(v) + ")"));
    PodParts.volume(pod, LanyardNames.SIDECAR_TMP_VOLUME)
        .filter(v -> !SidecarInjection.looksLikeOurTmp(v))
        .ifPresent(v -> conflicts.add("volume " + v.getName() + " (" + kind(v) + ")"));
    for (String name :
        List.of(LanyardNames.SIDECAR_CONTAINER, LanyardNames.JAVAAGENT_INIT_CONTAINER)) {
      PodParts.container(pod, name).ifPresent(c -> conflicts.add("app container " + name));
    }
    PodParts.initContainer(pod, LanyardNames.JAVAAGENT_INIT_CONTAINER)
        .filter(c -> !config.javaagent().image().equals(c.getImage()))
        .ifPresent(
            c -> conflicts.add("init container " + c.getName() + " (image " + c.getImage() + ")"));
    PodParts.initContainer(pod, LanyardNames.SIDECAR_CONTAINER)
        .filter(c -> !config.sidecar().image().equals(c.getImage()))
        .ifPresent(
            c -> conflicts.add("init container " + c.getName() + " (image " + c.getImage() + ")"));
    if (conflicts.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "the pod already has "
            + String.join(", ", conflicts)
            + " under Lanyard's"
            + " reserved names; rename them, or opt out with "
            + LanyardNames.INJECT
            + "=false");
  }

  private static String kind(Volume volume) {
    if (volume.getHostPath() != null) {
      return "hostPath " + volume.getHostPath().getPath();
    }
    if (volume.getCsi() != null) {
      return "CSI driver " + volume.getCsi().getDriver();
    }
    if (volume.getConfigMap() != null) {
      return "ConfigMap " + volume.getConfigMap().getName();
    }
    if (volume.getSecret() != null) {
      return "Secret " + volume.getSecret().getSecretName();
    }
    if (volume.getPersistentVolumeClaim() != null) {
      return "PersistentVolumeClaim " + volume.getPersistentVolumeClaim().getClaimName();
    }
    if (volume.getEmptyDir() != null) {
      return "emptyDir";
    }
    return "another volume type";
  }
}
