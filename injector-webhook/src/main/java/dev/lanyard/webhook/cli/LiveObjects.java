package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.webhook.inject.KubeJson;
import dev.lanyard.webhook.workload.WorkloadKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Reads {@code pod/NAME}, {@code deployment/NAME}, ... from the cluster. */
final class LiveObjects {
  private LiveObjects() {}

  static JsonNode fetch(KubernetesClient client, String namespace, String reference) {
    int slash = reference.indexOf('/');
    if (slash <= 0 || slash == reference.length() - 1) {
      throw new UserError(
          "\""
              + reference
              + "\" is not TYPE/NAME; write e.g. pod/web-7c9d8f6b5-x2x9z or deployment/web");
    }
    String type = reference.substring(0, slash).toLowerCase(Locale.ROOT);
    String name = reference.substring(slash + 1);
    HasMetadata object =
        switch (type) {
          case "pod", "pods", "po" -> client.pods().inNamespace(namespace).withName(name).get();
          case "deployment", "deployments", "deploy" ->
              client.apps().deployments().inNamespace(namespace).withName(name).get();
          case "statefulset", "statefulsets", "sts" ->
              client.apps().statefulSets().inNamespace(namespace).withName(name).get();
          case "daemonset", "daemonsets", "ds" ->
              client.apps().daemonSets().inNamespace(namespace).withName(name).get();
          case "replicaset", "replicasets", "rs" ->
              client.apps().replicaSets().inNamespace(namespace).withName(name).get();
          case "job", "jobs" ->
              client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
          case "cronjob", "cronjobs", "cj" ->
              client.batch().v1().cronjobs().inNamespace(namespace).withName(name).get();
          default ->
              throw new UserError(
                  "cannot check \""
                      + type
                      + "\"; use one of "
                      + Arrays.stream(WorkloadKind.values())
                          .map(WorkloadKind::resourceName)
                          .collect(Collectors.joining(", ")));
        };
    if (object == null) {
      throw new UserError(type + "/" + name + " not found in namespace " + namespace);
    }
    return KubeJson.tree(object);
  }
}
