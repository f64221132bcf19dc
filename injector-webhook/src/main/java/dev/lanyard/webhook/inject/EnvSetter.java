package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Adds environment variables without ever overwriting the workload's own: a variable the container
 * already sets keeps its value, and a different value becomes a warning that says what the workload
 * loses by it. This is also what makes injecting twice a no-op.
 */
final class EnvSetter {
  private final List<InjectionWarning> warnings;

  EnvSetter(List<InjectionWarning> warnings) {
    this.warnings = warnings;
  }

  /**
   * Sets {@code name=value} unless the container sets it already.
   *
   * @param consequence what it means when the container's own value is kept, e.g. "its calls bypass
   *     the sidecar"
   */
  void literal(Container container, String name, String value, String consequence) {
    Optional<EnvVar> existing = PodParts.env(container, name);
    if (existing.isEmpty()) {
      EnvVar env = new EnvVar();
      env.setName(name);
      env.setValue(value);
      PodParts.env(container).add(env);
      return;
    }
    EnvVar current = existing.get();
    if (current.getValueFrom() == null && Objects.equals(current.getValue(), value)) {
      return;
    }
    String theirs =
        current.getValueFrom() != null
            ? "from a valueFrom source"
            : "to \"" + current.getValue() + "\"";
    warnings.add(
        new InjectionWarning(
            Reason.ENV_KEPT,
            "container "
                + container.getName()
                + " already sets "
                + name
                + " "
                + theirs
                + "; Lanyard kept it instead of \""
                + value
                + "\""
                + consequence));
  }

  /**
   * Sets {@code name} from the Downward API field {@code fieldPath} unless the container sets it.
   */
  void field(Container container, String name, String fieldPath) {
    if (PodParts.env(container, name).isPresent()) {
      return;
    }
    ObjectFieldSelector selector = new ObjectFieldSelector();
    selector.setFieldPath(fieldPath);
    EnvVarSource source = new EnvVarSource();
    source.setFieldRef(selector);
    EnvVar env = new EnvVar();
    env.setName(name);
    env.setValueFrom(source);
    PodParts.env(container).add(env);
  }

  /** The four {@code LANYARD_*} attestation variables audit records carry (docs/AUDIT.md). */
  void downwardApi(Container container) {
    field(container, LanyardNames.LANYARD_POD_NAME, "metadata.name");
    field(container, LanyardNames.LANYARD_POD_NAMESPACE, "metadata.namespace");
    field(container, LanyardNames.LANYARD_NODE_NAME, "spec.nodeName");
    field(container, LanyardNames.LANYARD_SERVICE_ACCOUNT, "spec.serviceAccountName");
  }

  /**
   * {@code LANYARD_ALLOWED_PEERS}, {@code LANYARD_STARTUP}, {@code LANYARD_JWT_AUDIENCES}, {@code
   * LANYARD_AUDIT} and {@code LANYARD_SERVER_IDS} from the pod's annotations (or the operator's
   * defaults), and {@code LANYARD_MESH_CIDRS} and {@code LANYARD_EXTERNAL_HOSTS} from the
   * operator's defaults: the knobs the javaagent and the sidecar share.
   */
  void policyFromAnnotations(Container container, PodSettings settings) {
    Optional<String> allowedPeers = settings.allowedPeers();
    if (allowedPeers.isEmpty()
        && container.getEnvFrom() != null
        && !container.getEnvFrom().isEmpty()) {
      // An envFrom source (unseen at admission) could carry LANYARD_ALLOWED_PEERS past the
      // operator's ceiling; an explicit variable wins over it, and empty means the runtime's
      // default (its own trust domain only).
      allowedPeers = Optional.of("");
    }
    allowedPeers
        .ifPresent(
            value ->
                literal(
                    container,
                    LanyardNames.LANYARD_ALLOWED_PEERS,
                    value,
                    ", so " + LanyardNames.ALLOWED_PEERS + " does not apply to it"));
    settings
        .startup()
        .ifPresent(
            value ->
                literal(
                    container,
                    LanyardNames.LANYARD_STARTUP,
                    value,
                    ", so " + LanyardNames.STARTUP + " does not apply to it"));
    settings
        .jwtAudiences()
        .ifPresent(
            value ->
                literal(
                    container,
                    LanyardNames.LANYARD_JWT_AUDIENCES,
                    value,
                    ", so " + LanyardNames.JWT_AUDIENCES + " does not apply to it"));
    settings
        .audit()
        .ifPresent(
            value ->
                literal(
                    container,
                    LanyardNames.LANYARD_AUDIT,
                    value,
                    ", so " + LanyardNames.AUDIT + " does not apply to it"));
    settings
        .serverIds()
        .ifPresent(
            value ->
                literal(
                    container,
                    LanyardNames.LANYARD_SERVER_IDS,
                    value,
                    ", so " + LanyardNames.SERVER_IDS + " does not apply to it"));
    settings
        .meshCidrs()
        .ifPresent(
            value ->
                literal(
                    container,
                    LanyardNames.LANYARD_MESH_CIDRS,
                    value,
                    ", so the chart's injector.defaults.meshCidrs does not apply to it"));
    settings
        .externalHosts()
        .ifPresent(
            value ->
                literal(
                    container,
                    LanyardNames.LANYARD_EXTERNAL_HOSTS,
                    value,
                    ", so the chart's injector.defaults.externalHosts does not apply to it"));
  }
}
