package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.reasons.Reason;
import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.workload.ManifestInjector;
import dev.lanyard.webhook.workload.ManifestResult;
import dev.lanyard.webhook.workload.Manifests;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lanyard inject -f deploy.yaml | kubectl apply -f -}: what the webhook would do, done to
 * manifests ahead of time (like {@code istioctl kube-inject}). Pods and pod templates of
 * Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs are injected; every other
 * object passes through unchanged. Skips and warnings go to standard error. The injector
 * configuration is the cluster's (the chart's ConfigMap) unless {@code --config FILE} or {@code
 * --offline} says otherwise.
 */
@Command(
    name = "inject",
    mixinStandardHelpOptions = true,
    description =
        "Print manifests with Lanyard injected into their pods (like istioctl kube-inject).")
final class InjectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE",
      description =
          "Manifest file (multi-document YAML or JSON), or - for standard input. Repeatable.")
  List<String> files = new ArrayList<>();

  @Option(
      names = {"-n", "--namespace"},
      defaultValue = "default",
      description =
          "Namespace for objects that name none (default: ${DEFAULT-VALUE}); decides"
              + " system-namespace skips.")
  String namespace;

  @Mixin InjectorConfigSource config;

  @Mixin KubeOptions kube;

  @Override
  public Integer call() {
    InjectorConfigSource.Loaded loaded = config.load(kube);
    ManifestInjector injector = new ManifestInjector(new PodInjector(loaded.config()));
    PrintWriter err = spec.commandLine().getErr();
    if (config.isLive()) {
      err.println("lanyard: injecting with the live configuration of " + loaded.origin());
    }
    List<JsonNode> out = new ArrayList<>();
    boolean refused = false;
    for (JsonNode object : ManifestFiles.read(files, System.in)) {
      ManifestResult result = injector.inject(object, namespace);
      out.add(result.object());
      result.report().ifPresent(report -> tellAbout(err, result.name(), report));
      refused |= result.report().map(InjectionReport::refused).orElse(false);
    }
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.print(Manifests.write(out));
    stdout.flush();
    err.flush();
    // The webhook would deny such a pod: say so in the exit code too.
    return refused ? 1 : 0;
  }

  private static void tellAbout(PrintWriter err, String name, InjectionReport report) {
    if (report.refused()) {
      err.println(
          "lanyard: " + name + " would be refused by the webhook (" + report.reasonCode() + "): "
              + report.summary());
    } else if (!report.injected()) {
      err.println(
          "lanyard: " + name + " not injected (" + report.reasonCode() + "): " + report.summary());
    }
    report
        .warnings()
        .forEach(warning -> err.println("lanyard: " + name + ": " + warning.message()));
    report.containers().stream()
        .filter(c -> c.skipCode() != null && c.skip() != Reason.NOT_SELECTED)
        .forEach(c -> err.println("lanyard: " + name + ": " + c.detail()));
  }
}
