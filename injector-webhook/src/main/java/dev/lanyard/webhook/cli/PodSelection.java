package dev.lanyard.webhook.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Which pods a command looks at, as kubectl selects them: {@code -n NS} (default: the kubeconfig
 * context's namespace), {@code -A} for every namespace, {@code -l} a label selector, and pod names.
 */
final class PodSelection {
  @Option(
      names = {"-n", "--namespace"},
      description = "Namespace (default: the kubeconfig context's namespace, else default).")
  String namespace;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "Every namespace.")
  boolean allNamespaces;

  @Option(
      names = {"-l", "--selector"},
      paramLabel = "SELECTOR",
      description = "Label selector, as kubectl's (e.g. app=web,tier!=cache).")
  String selector;

  /** The namespace the command works in: -n, else the context's, else default. */
  String namespace(KubernetesClient client) {
    if (namespace != null) {
      return namespace;
    }
    String context = client.getNamespace();
    return context == null || context.isBlank() ? "default" : context;
  }

  /** A description of the selection for "no pods" messages. */
  String describe(KubernetesClient client) {
    String where = allNamespaces ? "any namespace" : "namespace " + namespace(client);
    return selector == null ? where : where + " matching " + selector;
  }

  /** The selected pods, named ones only when {@code names} is not empty. */
  List<Pod> pods(KubernetesClient client, List<String> names) {
    if (allNamespaces && namespace != null) {
      throw new UserError("-A and -n " + namespace + " contradict each other; give one of them");
    }
    List<Pod> pods = new ArrayList<>();
    if (!names.isEmpty()) {
      if (allNamespaces) {
        throw new UserError("pod names need one namespace (-n NS), not -A");
      }
      String ns = namespace(client);
      for (String name : names) {
        String bare = name.startsWith("pod/") ? name.substring(4) : name;
        Pod pod = client.pods().inNamespace(ns).withName(bare).get();
        if (pod == null) {
          throw new UserError("pod/" + bare + " not found in namespace " + ns);
        }
        pods.add(pod);
      }
      return pods;
    }
    var listing =
        allNamespaces
            ? client.pods().inAnyNamespace().withLabelSelector(selector)
            : client.pods().inNamespace(namespace(client)).withLabelSelector(selector);
    return listing.list().getItems();
  }
}
