package dev.lanyard.webhook.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lanyard audit [POD...] [-n NS | -A] [-l SELECTOR] [--denied] [--since 15m] [-o json]}:
 * the audit records each selected Lanyard process keeps in memory ({@code GET /audit} on its admin
 * endpoint, a ring buffer of the most recent decisions), merged oldest first, so "why was my call
 * refused" is one command.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description =
        "Show the audit records (authorization decisions) kept by the Lanyard processes of the"
            + " selected pods.")
final class AuditCommand implements Callable<Integer> {
  /** {@code -o}. */
  enum Format {
    TABLE,
    JSON
  }

  @Spec CommandSpec spec;

  @Mixin PodSelection selection;

  @Parameters(paramLabel = "POD", arity = "0..*", description = "Only these pods (in -n NS).")
  List<String> podNames = new ArrayList<>();

  @Option(names = "--denied", description = "Only refused connections (result denied).")
  boolean deniedOnly;

  @Option(
      names = "--since",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Only records this recent, e.g. 90s, 15m, 2h.")
  Duration since;

  @Option(
      names = "--limit",
      defaultValue = "100",
      description =
          "Most recent records to ask each process for (default: ${DEFAULT-VALUE}; each keeps"
              + " the last 512).")
  int limit;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table (default) or json.")
  Format format;

  @Option(
      names = "--timeout-seconds",
      defaultValue = "5",
      description = "Per admin endpoint (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin KubeOptions kube;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    if (limit < 1) {
      throw new UserError("--limit " + limit + " is not positive; give e.g. --limit 100");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    boolean complete;
    try (KubernetesClient client = kube.client()) {
      List<AdminTarget> targets = AdminTarget.of(selection.pods(client, podNames));
      if (targets.isEmpty()) {
        throw new UserError(
            "no injected pods in " + selection.describe(client) + "; nothing keeps audit records");
      }
      List<AuditEntry> entries = new ArrayList<>();
      complete =
          collect(
              targets,
              new PortForwardAdminEndpoint(client, Duration.ofSeconds(timeoutSeconds)),
              limit,
              entries,
              err);
      Instant from = since == null ? null : clock.instant().minus(since);
      List<AuditEntry> selected = AuditView.select(entries, deniedOnly, from);
      out.print(
          format == Format.JSON
              ? AuditView.json(selected)
              : AuditView.table(selected, selection.allNamespaces));
    }
    out.flush();
    err.flush();
    // Records that could not be read are missing from the answer: say so in the exit code.
    return complete ? 0 : 1;
  }

  /**
   * Adds every reachable process's records to {@code entries}; each one that cannot be read is a
   * line on {@code err}. True when all were read.
   */
  static boolean collect(
      List<AdminTarget> targets,
      AdminEndpoint admin,
      int limit,
      List<AuditEntry> entries,
      PrintWriter err) {
    boolean complete = true;
    for (AdminTarget target : targets) {
      String where = "pod/" + target.pod() + " container " + target.container();
      if (!target.running()) {
        err.println("lanyard audit: " + where + ": " + target.notRunning() + ", not asked");
        complete = false;
        continue;
      }
      try {
        entries.addAll(
            AuditEntry.parse(
                target,
                admin.get(
                    target.namespace(), target.pod(), target.port(), "/audit?limit=" + limit)));
      } catch (IOException e) {
        err.println(
            "lanyard audit: " + where + ": admin port " + target.port() + ": " + e.getMessage());
        complete = false;
      }
    }
    return complete;
  }
}
