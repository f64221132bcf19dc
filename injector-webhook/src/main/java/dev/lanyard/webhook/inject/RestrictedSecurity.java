package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.util.List;

/**
 * The security context of every container Lanyard adds: everything Pod Security "restricted"
 * demands (non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp),
 * set on the container itself so it holds whatever the pod-level context says, plus a read-only
 * root filesystem.
 */
final class RestrictedSecurity {
  private RestrictedSecurity() {}

  static SecurityContext forInjectedContainer(InjectorConfig.InjectedSecurity security) {
    SecurityContext context = new SecurityContext();
    context.setRunAsNonRoot(true);
    context.setRunAsUser(security.runAsUser());
    context.setRunAsGroup(security.runAsGroup());
    context.setAllowPrivilegeEscalation(false);
    context.setPrivileged(false);
    context.setReadOnlyRootFilesystem(true);
    Capabilities capabilities = new Capabilities();
    capabilities.setDrop(List.of("ALL"));
    context.setCapabilities(capabilities);
    SeccompProfile seccomp = new SeccompProfile();
    seccomp.setType("RuntimeDefault");
    context.setSeccompProfile(seccomp);
    return context;
  }

  /**
   * A copy, so that no two containers share (and a later edit of one changes) the config's object.
   */
  static ResourceRequirements copy(ResourceRequirements resources) {
    ResourceRequirements copy = new ResourceRequirements();
    if (resources != null) {
      if (resources.getRequests() != null) {
        copy.setRequests(new java.util.LinkedHashMap<>(resources.getRequests()));
      }
      if (resources.getLimits() != null) {
        copy.setLimits(new java.util.LinkedHashMap<>(resources.getLimits()));
      }
    }
    return copy;
  }
}
