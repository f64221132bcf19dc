package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds what would make injection guess: null list entries, containers without names, two
 * containers of one name. Mutating admission runs before validation, so such pods do reach the
 * webhook; the apiserver refuses them right after, and Lanyard leaves them alone rather than adding
 * to the confusion. (Found by the AdmissionReview fuzz test.)
 */
final class MalformedPods {
  private MalformedPods() {}

  static Optional<String> problem(Pod pod) {
    if (pod.getSpec() == null) {
      return Optional.of("it has no spec");
    }
    Set<String> names = new HashSet<>();
    for (List<Container> group :
        java.util.Arrays.asList(pod.getSpec().getContainers(), pod.getSpec().getInitContainers())) {
      if (group == null) {
        continue;
      }
      for (Container container : group) {
        if (container == null) {
          return Optional.of("its container list holds a null entry");
        }
        if (container.getName() == null || container.getName().isBlank()) {
          return Optional.of("a container (image " + container.getImage() + ") has no name");
        }
        if (!names.add(container.getName())) {
          return Optional.of("two containers are named " + container.getName());
        }
        if (container.getEnv() != null
            && container.getEnv().stream().anyMatch(e -> e == null || e.getName() == null)) {
          return Optional.of(
              "container " + container.getName() + " has an env entry without a name");
        }
        if (container.getVolumeMounts() != null
            && container.getVolumeMounts().stream()
                .anyMatch(m -> m == null || m.getName() == null)) {
          return Optional.of(
              "container " + container.getName() + " has a volume mount without a name");
        }
      }
    }
    if (pod.getSpec().getVolumes() != null
        && pod.getSpec().getVolumes().stream().anyMatch(v -> v == null || v.getName() == null)) {
      return Optional.of("a volume has no name");
    }
    return Optional.empty();
  }
}
