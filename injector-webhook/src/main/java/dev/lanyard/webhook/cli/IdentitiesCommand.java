package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.inject.InjectionStatus;
import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lanyard identities -n NS}: for every injected pod, asks each Lanyard process (the admin
 * ports are in {@code lanyard.dev/status}) for {@code /identity} through a port-forward, and prints
 * pod, container, SPIFFE ID, expiry, rotations and recent peers.
 */
@Command(
    name = "identities",
    mixinStandardHelpOptions = true,
    description =
        "Show the SPIFFE identity of every injected pod in a namespace (via port-forward to each"
            + " admin endpoint).")
final class IdentitiesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-n", "--namespace"},
      defaultValue = "default",
      description = "Namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(
      names = "--timeout-seconds",
      defaultValue = "5",
      description = "Per admin endpoint (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin KubeOptions kube;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (KubernetesClient client = kube.client()) {
      List<Pod> pods = client.pods().inNamespace(namespace).list().getItems();
      List<IdentityRow> rows =
          rows(pods, new PortForwardAdminEndpoint(client, Duration.ofSeconds(timeoutSeconds)));
      if (rows.isEmpty()) {
        out.println(
            "no injected pods in namespace "
                + namespace
                + " (pods carry "
                + LanyardNames.STATUS
                + " once injected; is the namespace labeled "
                + LanyardNames.INJECT
                + "="
                + LanyardNames.NAMESPACE_ENABLED
                + "?)");
      } else {
        out.print(IdentityTable.format(rows));
      }
    }
    out.flush();
    return 0;
  }

  /** One row per Lanyard process in each injected pod, in pod order. */
  static List<IdentityRow> rows(List<Pod> pods, AdminEndpoint admin) {
    List<IdentityRow> rows = new ArrayList<>();
    for (Pod pod : pods) {
      String name = pod.getMetadata().getName();
      Map<String, String> annotations = pod.getMetadata().getAnnotations();
      Optional<InjectionStatus> status =
          annotations == null
              ? Optional.empty()
              : InjectionStatus.parse(annotations.get(LanyardNames.STATUS));
      if (status.isEmpty()) {
        continue;
      }
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      for (Map.Entry<String, Integer> process : status.get().adminPorts().entrySet()) {
        if (!"Running".equals(phase)) {
          rows.add(
              IdentityRow.problem(
                  name, process.getKey(), "pod is " + (phase == null ? "not scheduled" : phase)));
          continue;
        }
        try {
          String json =
              admin.get(pod.getMetadata().getNamespace(), name, process.getValue(), "/identity");
          rows.add(IdentityRow.fromIdentityJson(name, process.getKey(), json));
        } catch (IOException e) {
          rows.add(
              IdentityRow.problem(
                  name,
                  process.getKey(),
                  "admin port " + process.getValue() + ": " + e.getMessage()));
        }
      }
    }
    return rows;
  }
}
