package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.cli.check.CheckResult;
import dev.lanyard.webhook.cli.check.ClusterSpiffeIdCheck;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.InvalidConfigException;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lanyard check}: one line per check, ✔ or ✖ with the reason and the fix; exit code 1 when
 * any fails. {@code --pre} before installing (Kubernetes version, the SPIRE Agent socket or CSI
 * driver, the ClusterSPIFFEID resource), the default after (the installation and its webhook as
 * the API server sees it), {@code --proxy} for the injected pods (their SVIDs and versions).
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description =
        "Check the cluster before (--pre) or after installing Lanyard, or its injected pods"
            + " (--proxy); exits 1 when a check fails.")
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true)
  Mode mode;

  static final class Mode {
    @Option(names = "--pre", description = "Before installing: can Lanyard run on this cluster?")
    boolean pre;

    @Option(
        names = "--proxy",
        description = "The injected pods (-n NS, -A, -l): SVIDs and version skew.")
    boolean proxy;
  }

  @Mixin PodSelection selection;

  @Option(
      names = "--lanyard-namespace",
      paramLabel = "NS",
      description =
          "Namespace of the Lanyard installation (default: the one installation in the cluster).")
  String lanyardNamespace;

  @Option(
      names = "--socket-type",
      defaultValue = "csi",
      description =
          "With --pre: how pods will reach the SPIRE Agent socket, csi or hostPath (default:"
              + " ${DEFAULT-VALUE}, as the chart's injector.socket.type).")
  String socketType;

  @Option(
      names = "--csi-driver",
      defaultValue = "csi.spiffe.io",
      description = "With --pre --socket-type csi (default: ${DEFAULT-VALUE}).")
  String csiDriver;

  @Option(
      names = "--host-path",
      defaultValue = "/run/spire/agent-sockets",
      description = "With --pre --socket-type hostPath (default: ${DEFAULT-VALUE}).")
  String hostPath;

  @Option(
      names = "--ca-min-remaining",
      defaultValue = "720h",
      converter = DurationConverter.class,
      description = "✖ when the webhook's caBundle expires sooner (default: ${DEFAULT-VALUE}).")
  Duration caMinRemaining;

  @Option(
      names = "--timeout-seconds",
      defaultValue = "5",
      description = "Per admin endpoint (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin KubeOptions kube;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    List<CheckResult> results;
    try (KubernetesClient client = kube.client()) {
      ClusterChecks checks = new ClusterChecks(client, clock.instant());
      if (mode != null && mode.pre) {
        results = pre(checks);
      } else if (mode != null && mode.proxy) {
        results = proxy(client, checks);
      } else {
        results = installed(client, checks);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    results.forEach(result -> out.println(result.render()));
    long failed = results.stream().filter(result -> !result.ok()).count();
    out.println(
        failed == 0
            ? "all " + results.size() + " checks passed"
            : failed + " of " + results.size() + " checks failed");
    out.flush();
    return failed == 0 ? 0 : 1;
  }

  private List<CheckResult> pre(ClusterChecks checks) {
    InjectorConfig.SocketVolumeType type =
        switch (socketType) {
          case "csi" -> InjectorConfig.SocketVolumeType.CSI;
          case "hostPath" -> InjectorConfig.SocketVolumeType.HOST_PATH;
          default ->
              throw new UserError(
                  "--socket-type " + socketType + " is neither csi nor hostPath (the chart's"
                      + " injector.socket.type)");
        };
    List<CheckResult> results = new ArrayList<>();
    results.add(attempt("Kubernetes version", checks::kubernetesVersion));
    results.add(
        attempt(
            "SPIRE Agent socket",
            () -> checks.socket(new InjectorConfig.Socket(type, csiDriver, hostPath, ""))));
    results.add(
        attempt(
            "ClusterSPIFFEID",
            () ->
                checks.clusterSpiffeIdCrdInstalled()
                    ? ClusterSpiffeIdCheck.crdPresent()
                    : ClusterSpiffeIdCheck.crdMissing()));
    return results;
  }

  private List<CheckResult> installed(KubernetesClient client, ClusterChecks checks) {
    List<CheckResult> results = new ArrayList<>();
    results.add(attempt("Kubernetes version", checks::kubernetesVersion));
    LanyardInstall install;
    InjectorConfig config;
    try {
      install = LanyardInstall.find(client, lanyardNamespace);
      config = InjectorConfigLoader.fromYaml(install.where(), install.injectorYaml());
    } catch (UserError | InvalidConfigException | KubernetesClientException e) {
      results.add(
          CheckResult.fail(
              "Lanyard installation",
              e.getMessage(),
              "install the chart: helm install lanyard charts/lanyard -n lanyard-system"
                  + " --create-namespace (lanyard check --pre first)"));
      return results;
    }
    results.add(CheckResult.pass("Lanyard installation: " + install.where() + " is valid"));
    results.add(attempt("SPIRE Agent socket", () -> checks.socket(config.socket())));
    results.add(attempt("webhook Deployment", () -> checks.deployment(install)));
    List<Namespace> labelled;
    try {
      labelled = checks.labelledNamespaces(config);
    } catch (KubernetesClientException e) {
      results.add(unreadable("namespaces labelled for injection", e));
      return results;
    }
    results.add(
        attempt(
            "webhook reachable from the API server",
            () -> checks.admission(install, config, labelled)));
    results.addAll(attemptAll("caBundle", () -> checks.caBundles(install, caMinRemaining)));
    results.addAll(attemptAll("ClusterSPIFFEID", () -> checks.clusterSpiffeIds(config, labelled)));
    return results;
  }

  private List<CheckResult> proxy(KubernetesClient client, ClusterChecks checks) {
    LanyardInstall install = LanyardInstall.find(client, lanyardNamespace);
    String webhookVersion = webhookVersion(checks.webhookDeployment(install), install);
    List<CheckResult> results =
        checks.proxies(
            selection.pods(client, List.of()),
            new PortForwardAdminEndpoint(client, Duration.ofSeconds(timeoutSeconds)),
            webhookVersion);
    if (results.isEmpty()) {
      throw new UserError(
          "no injected pods in " + selection.describe(client) + "; nothing to check with --proxy");
    }
    return results;
  }

  /** One check, or a ✖ line when the API server would not answer what it needs. */
  private static CheckResult attempt(String subject, Supplier<CheckResult> check) {
    try {
      return check.get();
    } catch (KubernetesClientException e) {
      return unreadable(subject, e);
    }
  }

  private static List<CheckResult> attemptAll(
      String subject, Supplier<List<CheckResult>> checks) {
    try {
      return checks.get();
    } catch (KubernetesClientException e) {
      return List.of(unreadable(subject, e));
    }
  }

  private static CheckResult unreadable(String subject, KubernetesClientException e) {
    return CheckResult.fail(
        subject,
        "the API server did not answer what this check reads: "
            + (e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : e.getMessage()),
        "check that your kubeconfig's user may read it (kubectl auth can-i list ...) and run"
            + " lanyard check again");
  }

  /** The chart's appVersion on the webhook's pods: what it writes into lanyard.dev/status. */
  private static String webhookVersion(Deployment deployment, LanyardInstall install) {
    Map<String, String> labels =
        deployment == null ? null : deployment.getSpec().getTemplate().getMetadata().getLabels();
    String version = labels == null ? null : labels.get(ClusterChecks.VERSION_LABEL);
    if (version == null) {
      throw new UserError(
          "the webhook Deployment "
              + install.namespace()
              + "/"
              + install.name()
              + (deployment == null ? " is missing" : " has no " + ClusterChecks.VERSION_LABEL
                  + " label on its pods")
              + ", so its version is unknown; run lanyard check, or reinstall the chart");
    }
    return version;
  }
}
