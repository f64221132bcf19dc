package dev.lanyard.webhook.admission;

import dev.lanyard.webhook.inject.InjectorConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Reads a pod's owner back from the API server before an Event goes on it. {@code /mutate} answers
 * whoever can reach it, and a review's namespace and owner references are whatever its sender
 * wrote; only an owner that exists, with the uid the review names, in a namespace selected for
 * injection, is one the API server's own request can have come from.
 *
 * <p>Only the owner kinds the webhook's RBAC lets it read (the chart's ClusterRole: {@code get} on
 * namespaces, ReplicaSets, StatefulSets, DaemonSets, Jobs, ReplicationControllers) can be
 * confirmed; any other kind gets no Event.
 */
final class OwnerConfirmation {
  /** What the check found: the object the Event goes on, or why there is none. */
  record Result(Optional<ObjectReference> involved, String problem) {
    static Result confirmed(ObjectReference involved) {
      return new Result(Optional.of(involved), "");
    }

    static Result unconfirmed(String problem) {
      return new Result(Optional.empty(), problem);
    }
  }

  private final KubernetesClient client;
  private final InjectorConfig.NamespaceLabel namespaceLabel;
  private final String webhookNamespace;

  OwnerConfirmation(
      KubernetesClient client, InjectorConfig.NamespaceLabel namespaceLabel, String webhookNamespace) {
    this.client = client;
    this.namespaceLabel = namespaceLabel;
    this.webhookNamespace = webhookNamespace;
  }

  /** Calls the API server (two or three GETs); for the Events thread, never the admission path. */
  Result confirm(String namespace, OwnerReference owner) {
    if (InjectorConfig.SYSTEM_NAMESPACES.contains(namespace) || namespace.equals(webhookNamespace)) {
      return Result.unconfirmed("namespace " + namespace + " is never injected");
    }
    Namespace found = client.namespaces().withName(namespace).get();
    if (found == null) {
      return Result.unconfirmed("namespace " + namespace + " does not exist");
    }
    if (!namespaceLabel.isOn(found.getMetadata().getLabels())) {
      return Result.unconfirmed(
          "namespace "
              + namespace
              + " is not labeled "
              + namespaceLabel.key()
              + "="
              + namespaceLabel.value());
    }
    if (owner.getUid() == null || owner.getUid().isEmpty()) {
      return Result.unconfirmed("the owner reference has no uid");
    }
    Optional<BiFunction<String, String, HasMetadata>> reader = readerFor(owner);
    if (reader.isEmpty()) {
      return Result.unconfirmed(
          "owner kind "
              + owner.getApiVersion()
              + "/"
              + owner.getKind()
              + " is not one the webhook reads (ReplicaSet, StatefulSet, DaemonSet, Job,"
              + " ReplicationController)");
    }
    HasMetadata object = reader.get().apply(namespace, owner.getName());
    if (object == null) {
      return Result.unconfirmed(
          owner.getKind() + " " + namespace + "/" + owner.getName() + " does not exist");
    }
    if (!owner.getUid().equals(object.getMetadata().getUid())) {
      return Result.unconfirmed(
          owner.getKind()
              + " "
              + namespace
              + "/"
              + owner.getName()
              + " has uid "
              + object.getMetadata().getUid()
              + ", not the review's "
              + owner.getUid());
    }
    return Result.confirmed(involved(namespace, owner, object));
  }

  /**
   * A ReplicaSet's Deployment, as the confirmed ReplicaSet itself names it (not the review), else
   * the owner.
   */
  private static ObjectReference involved(
      String namespace, OwnerReference owner, HasMetadata object) {
    if ("ReplicaSet".equals(owner.getKind())) {
      List<OwnerReference> owners = object.getMetadata().getOwnerReferences();
      Optional<OwnerReference> deployment =
          owners == null
              ? Optional.empty()
              : owners.stream()
                  .filter(o -> Boolean.TRUE.equals(o.getController()))
                  .filter(o -> "Deployment".equals(o.getKind()))
                  .findFirst();
      if (deployment.isPresent()) {
        return reference(namespace, deployment.get());
      }
    }
    return reference(namespace, owner);
  }

  private Optional<BiFunction<String, String, HasMetadata>> readerFor(OwnerReference owner) {
    String group = groupOf(owner.getApiVersion());
    String kind = Objects.requireNonNullElse(owner.getKind(), "");
    BiFunction<String, String, HasMetadata> reader =
        switch (group + "/" + kind) {
          case "apps/ReplicaSet" ->
              (ns, name) -> client.apps().replicaSets().inNamespace(ns).withName(name).get();
          case "apps/StatefulSet" ->
              (ns, name) -> client.apps().statefulSets().inNamespace(ns).withName(name).get();
          case "apps/DaemonSet" ->
              (ns, name) -> client.apps().daemonSets().inNamespace(ns).withName(name).get();
          case "batch/Job" ->
              (ns, name) -> client.batch().v1().jobs().inNamespace(ns).withName(name).get();
          case "/ReplicationController" ->
              (ns, name) -> client.replicationControllers().inNamespace(ns).withName(name).get();
          default -> null;
        };
    return Optional.ofNullable(reader);
  }

  private static String groupOf(String apiVersion) {
    if (apiVersion == null) {
      return "?";
    }
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  private static ObjectReference reference(String namespace, OwnerReference owner) {
    return new ObjectReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getName())
        .withUid(owner.getUid())
        .withNamespace(namespace)
        .build();
  }
}
