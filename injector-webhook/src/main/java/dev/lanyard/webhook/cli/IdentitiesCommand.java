package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lanyard identities [-n NS | -A] [-l SELECTOR] [-o table|wide|json|yaml] [POD...]}: for
 * every injected pod, asks each Lanyard process (the admin ports are in {@code lanyard.dev/status})
 * for {@code /identity} through a port-forward, one row per process.
 */
@Command(
    name = "identities",
    mixinStandardHelpOptions = true,
    description =
        "Show the SPIFFE identity of every Lanyard process in the selected pods (via port-forward"
            + " to each admin endpoint).")
final class IdentitiesCommand implements Callable<Integer> {
  /** {@code -o}: the two tables and the two structured forms. */
  enum Format {
    TABLE,
    WIDE,
    JSON,
    YAML
  }

  @Spec CommandSpec spec;

  @Mixin PodSelection selection;

  @Parameters(paramLabel = "POD", arity = "0..*", description = "Only these pods (in -n NS).")
  List<String> podNames = new ArrayList<>();

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table (default), wide, json or yaml.")
  Format format;

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
      List<Pod> pods = selection.pods(client, podNames);
      List<IdentityRow> rows =
          rows(pods, new PortForwardAdminEndpoint(client, Duration.ofSeconds(timeoutSeconds)));
      if (rows.isEmpty() && (format == Format.TABLE || format == Format.WIDE)) {
        out.println(
            "no injected pods in "
                + selection.describe(client)
                + " (pods carry "
                + LanyardNames.STATUS
                + " once injected; is the namespace labeled for injection? see lanyard"
                + " check-inject)");
      } else {
        out.print(render(rows, format, selection.allNamespaces));
      }
    }
    out.flush();
    return 0;
  }

  static String render(List<IdentityRow> rows, Format format, boolean allNamespaces) {
    return switch (format) {
      case TABLE -> IdentityTable.format(rows, allNamespaces, false);
      case WIDE -> IdentityTable.format(rows, allNamespaces, true);
      case JSON -> StructuredOutput.json(Map.of("identities", fields(rows)));
      case YAML -> StructuredOutput.yaml(Map.of("identities", fields(rows)));
    };
  }

  private static List<Map<String, Object>> fields(List<IdentityRow> rows) {
    return rows.stream().map(IdentityRow::fields).toList();
  }

  /** One row per Lanyard process in each injected pod, in pod order. */
  static List<IdentityRow> rows(List<Pod> pods, AdminEndpoint admin) {
    List<IdentityRow> rows = new ArrayList<>();
    for (AdminTarget target : AdminTarget.of(pods)) {
      if (!target.running()) {
        rows.add(IdentityRow.problem(target, target.notRunning()));
        continue;
      }
      try {
        String json = admin.get(target.namespace(), target.pod(), target.port(), "/identity");
        rows.add(IdentityRow.fromIdentityJson(target, json));
      } catch (IOException e) {
        rows.add(
            IdentityRow.problem(target, "admin port " + target.port() + ": " + e.getMessage()));
      }
    }
    return rows;
  }
}
