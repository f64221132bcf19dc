package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.webhook.cli.LanyardCli;
import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.storage.CSIDriverBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code lanyard} CLI against a real kube-apiserver holding the chart's rendered objects
 * (ConfigMap, Deployment, ClusterSPIFFEID, MutatingWebhookConfiguration pointed at the real
 * webhook jar): {@code inject} and {@code check-inject} read the live configuration, and every
 * line of {@code lanyard check} that the API server alone can decide is shown both ways. The
 * chart is rendered with a non-default namespace label and javaagent image, so reading the live
 * configuration is visible in the output.
 */
class CliOnKubeApiServerIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  @TempDir static Path directory;

  private static final String LABEL_KEY = "mesh.example/lanyard";
  private static final String LABEL_VALUE = "on";
  private static final String MIRROR = "mirror.example/lanyard/javaagent";
  private static final String SHOP = "shop";
  private static final String WEBHOOK = "lanyard-webhook";
  private static final String DEPLOYMENT_AND_SERVICE =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: "eclipse-temurin:21"}]
      """;

  private static Rendered rendered;
  private static TestPki pki;
  private static ChartWebhook webhook;

  @BeforeAll
  static void chartObjectsAppliedAndWebhookRunning() throws IOException {
    rendered =
        Helm.template(
            Map.of(
                "clusterSPIFFEID.enabled", "true",
                "admission.namespaceLabel.key", LABEL_KEY,
                "admission.namespaceLabel.value", LABEL_VALUE,
                "injector.javaagent.image.repository", MIRROR,
                "webhook.replicas", "1"));
    namespace(Helm.NAMESPACE, Map.of());
    namespace(SHOP, Map.of(LABEL_KEY, LABEL_VALUE));
    installCrds();
    apply(rendered.one("ConfigMap"), rendered.one("Deployment"));
    pki = TestPki.create("lanyard-cli-test-ca");
    startWebhook();
  }

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  @Test
  void injectReadsTheClustersConfigMapUnlessToldOtherwise() throws IOException {
    Run live = cli(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-");
    Run offline = cli(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-", "--offline");
    Path file = Files.writeString(directory.resolve("config.yaml"), "javaagent: {image: file.example/agent:1}\n");
    Run fromFile = cli(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-", "--config", file.toString());
    Run elsewhere =
        cli(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-", "--lanyard-namespace", "elsewhere");

    assertThat(live.exit()).as(live.err()).isZero();
    assertThat(live.out()).contains("image: " + MIRROR + ":");
    assertThat(live.err())
        .contains(
            "injecting with the live configuration of ConfigMap "
                + Helm.NAMESPACE + "/" + WEBHOOK);
    assertThat(offline.out()).doesNotContain(MIRROR).contains("-javaagent:/lanyard/javaagent.jar");
    assertThat(offline.err()).doesNotContain("live configuration");
    assertThat(fromFile.out()).contains("file.example/agent:1").doesNotContain(MIRROR);
    assertThat(elsewhere.exit()).isEqualTo(1);
    assertThat(elsewhere.err().strip())
        .isEqualTo(
            "lanyard inject: no Lanyard injector configuration in namespace elsewhere (a ConfigMap"
                + " labelled app.kubernetes.io/part-of=lanyard with key injector.yaml, which the"
                + " chart installs); install the chart (helm install lanyard charts/lanyard), or"
                + " pass --config FILE or --offline to work without a cluster");
  }

  @Test
  void checkInjectJudgesNamespacesByTheLiveLabel() {
    // The built-in label, which this installation does not use.
    namespace("old-label", Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    createPod("old-label", "api");
    createPod(SHOP, "checked");

    Run oldLabel = cli("", "check-inject", "-n", "old-label", "pod/api");
    Run shop = cli("", "check-inject", "-n", SHOP, "pod/checked");

    assertThat(oldLabel.out())
        .contains("namespace old-label is not labeled " + LABEL_KEY + "=" + LABEL_VALUE)
        .contains("kubectl label namespace old-label " + LABEL_KEY + "=" + LABEL_VALUE);
    assertThat(shop.out())
        .contains("pod/checked (namespace shop): injected")
        .doesNotContain("is not labeled");
  }

  @Test
  void checkKubernetesVersion() {
    Run run = cli("", "check", "--pre");

    assertThat(run.lines()).contains("✔ Kubernetes v1.35.4 (native sidecars need 1.29+)");
  }

  @Test
  void checkCsiDriverRegisteredOnlyOnceItIs() {
    client().storage().v1().csiDrivers().withName("csi.spiffe.io").delete();

    Run before = cli("", "check");
    client()
        .storage()
        .v1()
        .csiDrivers()
        .resource(
            new CSIDriverBuilder()
                .withNewMetadata()
                .withName("csi.spiffe.io")
                .endMetadata()
                .withNewSpec()
                .withAttachRequired(false)
                .withPodInfoOnMount(true)
                .withVolumeLifecycleModes("Ephemeral")
                .endSpec()
                .build())
        .serverSideApply();
    Run after = cli("", "check");

    assertThat(before.exit()).as(before.out() + before.err()).isEqualTo(1);
    assertThat(before.lines())
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith(
                        "✖ CSI driver csi.spiffe.io: no CSIDriver object named csi.spiffe.io"));
    assertThat(after.lines()).contains("✔ CSI driver csi.spiffe.io is registered (CSIDriver object)");
  }

  @Test
  void checkPreHostPathSocketNeedsAReadyAgentDaemonSet() {
    String[] args = {"check", "--pre", "--socket-type", "hostPath", "--host-path", "/run/spire/agent-sockets"};
    namespace("spire", Map.of());
    client().apps().daemonSets().inNamespace("spire").withName("spire-agent").delete();

    Run none = cli("", args);
    DaemonSet agent = client().apps().daemonSets().inNamespace("spire").resource(agentDaemonSet()).create();
    Run notReady = cli("", args);
    agent.setStatus(
        new DaemonSetStatusBuilder()
            .withDesiredNumberScheduled(1)
            .withCurrentNumberScheduled(1)
            .withNumberReady(1)
            .withNumberMisscheduled(0)
            .build());
    client().apps().daemonSets().inNamespace("spire").resource(agent).updateStatus();
    Run ready = cli("", args);

    assertThat(none.lines())
        .contains(
            "✖ SPIRE Agent socket directory /run/spire/agent-sockets: no DaemonSet mounts hostPath"
                + " /run/spire/agent-sockets (the SPIRE Agent serves its socket there)");
    assertThat(none.exit()).as(none.err()).isEqualTo(1);
    assertThat(notReady.lines())
        .contains(
            "✖ SPIRE Agent socket directory /run/spire/agent-sockets: DaemonSet spire/spire-agent"
                + " has 0 of 0 pods ready",
            "    fix: kubectl -n spire describe daemonset spire-agent");
    assertThat(ready.lines())
        .contains(
            "✔ SPIRE Agent socket directory /run/spire/agent-sockets is served on every node by"
                + " DaemonSet spire/spire-agent (1/1 ready)",
            "✔ ClusterSPIFFEID resource is installed (spire-controller-manager)");
    assertThat(ready.exit()).as(ready.out()).isZero();
  }

  @Test
  void checkWebhookDeploymentReadyOnlyWithItsReplicasReady() {
    Deployment deployment =
        client().apps().deployments().inNamespace(Helm.NAMESPACE).withName(WEBHOOK).get();
    deployment.setStatus(new DeploymentStatusBuilder().withReplicas(1).withReadyReplicas(0).build());
    client().apps().deployments().inNamespace(Helm.NAMESPACE).resource(deployment).updateStatus();

    Run notReady = cli("", "check");
    markWebhookDeploymentReady();
    Run ready = cli("", "check");

    assertThat(notReady.lines())
        .contains(
            "✖ webhook Deployment lanyard-system/lanyard-webhook: 0 of 1 replicas ready",
            "    fix: kubectl -n lanyard-system describe deployment lanyard-webhook; kubectl -n"
                + " lanyard-system logs deployment/lanyard-webhook");
    assertThat(ready.lines()).contains("✔ webhook Deployment lanyard-system/lanyard-webhook is ready (1/1)");
  }

  @Test
  void checkWebhookReachableOnlyWhileItAnswers() throws IOException {
    Run answering = cli("", "check");
    webhook.stop();
    Run refused;
    try {
      refused = cli("", "check");
    } finally {
      webhook.close();
      startWebhook();
    }

    assertThat(answering.lines())
        .contains(
            "✔ webhook reachable from the API server (Service lanyard-system/lanyard-webhook): a"
                + " dry-run pod in shop came back injected");
    assertThat(refused.lines())
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith(
                        "✖ webhook reachable from the API server: a dry-run pod in namespace shop"
                            + " was refused: ")
                    .contains("failed calling webhook \"inject.lanyard.dev\""));
    assertThat(refused.exit()).as(refused.err()).isEqualTo(1);
  }

  @Test
  void checkCaBundleNearExpiryByTheGivenMargin() {
    // The test CA is valid for a day: within the default 30 days, outside one hour.
    String where = "caBundle of MutatingWebhookConfiguration lanyard-lanyard-system, webhook inject.lanyard.dev";

    Run strict = cli("", "check");
    Run lenient = cli("", "check", "--ca-min-remaining", "1h");

    assertThat(strict.lines())
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith("✖ " + where + ": CN=lanyard-cli-test-ca expires at ")
                    .endsWith("(less than 30d)"));
    assertThat(lenient.lines())
        .anySatisfy(
            line -> assertThat(line).startsWith("✔ " + where + ": CN=lanyard-cli-test-ca valid until "));
  }

  @Test
  void checkClusterSpiffeIdForEachLabelledNamespace() throws IOException {
    String crd = "clusterspiffeids.spire.spiffe.io";
    kube.server().kubectl("delete", "crd", crd, "--wait=true").orThrow();
    Run noCrd = cli("", "check");
    Run noCrdPre = cli("", "check", "--pre");
    installCrds();
    Run noId = cli("", "check");
    apply(rendered.one("ClusterSPIFFEID"));
    createPod(SHOP, "registered");
    Run registered = cli("", "check");

    assertThat(noCrd.lines())
        .contains(
            "✖ ClusterSPIFFEID: the API server has no clusterspiffeids.spire.spiffe.io resource");
    assertThat(noCrdPre.lines())
        .contains(
            "✖ ClusterSPIFFEID: the API server has no clusterspiffeids.spire.spiffe.io resource");
    assertThat(noId.lines())
        .contains(
            "✖ ClusterSPIFFEID for namespace shop: no ClusterSPIFFEID's namespaceSelector selects"
                + " namespace shop (there is none)");
    assertThat(registered.lines())
        .anySatisfy(
            line ->
                assertThat(line)
                    .matches(
                        "✔ ClusterSPIFFEID for namespace shop: lanyard-lanyard-system selects it"
                            + " and its \\d+ pod\\(s\\)"));
  }

  @Test
  void checkProxyReportsPodsThatHoldNoSvidAndVersionSkew() {
    createPod(SHOP, "pending");
    String current = webhookVersionLabel();

    Run same = cli("", "check", "--proxy", "-n", SHOP, "-l", "probe=pending");
    setWebhookVersionLabel("9.9.9");
    Run skewed;
    try {
      skewed = cli("", "check", "--proxy", "-n", SHOP, "-l", "probe=pending");
    } finally {
      setWebhookVersionLabel(current);
    }

    assertThat(same.lines())
        .contains(
            "✖ SVID of pod/pending container app: pod is Pending",
            "✔ version of pod/pending: " + current + ", as the webhook");
    assertThat(same.exit()).as(same.err()).isEqualTo(1);
    assertThat(skewed.lines())
        .contains(
            "✖ version of pod/pending: injected by Lanyard " + current + ", the webhook is 9.9.9",
            "    fix: restart its workload (kubectl rollout restart deployment/<name>) to inject"
                + " 9.9.9");
  }

  @Test
  void aClusterWithoutLanyardFailsTheInstallationLine() {
    Run run = cli("", "check", "--lanyard-namespace", "nowhere");

    assertThat(run.exit()).as(run.err()).isEqualTo(1);
    assertThat(run.lines())
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith("✖ Lanyard installation: no Lanyard injector configuration in namespace nowhere"));
    assertThat(cli("", "check").lines())
        .contains("✔ Lanyard installation: ConfigMap lanyard-system/lanyard-webhook is valid");
  }

  @Test
  void aUserWhoMayReadNothingGetsFailedLinesNotACrash() {
    Path kubeconfig =
        kube.server()
            .writeKubeconfig(
                directory.resolve("nobody.kubeconfig"),
                kube.server().issueClientCertificate("nobody", null));

    Run pre = cliAs(kubeconfig, "check", "--pre");
    Run installed = cliAs(kubeconfig, "check");

    assertThat(pre.exit()).as(pre.err()).isEqualTo(1);
    assertThat(pre.err()).isEmpty();
    assertThat(pre.lines())
        .contains("✔ Kubernetes v1.35.4 (native sidecars need 1.29+)")
        .anySatisfy(line -> assertThat(line).startsWith(
            "✖ SPIRE Agent socket: the API server did not answer what this check reads: ")
            .contains("forbidden").contains("nobody"))
        .contains("    fix: check that your kubeconfig's user may read it (kubectl auth can-i list"
            + " ...) and run lanyard check again");
    assertThat(installed.exit()).as(installed.err()).isEqualTo(1);
    assertThat(installed.lines())
        .anySatisfy(line -> assertThat(line).startsWith("✖ Lanyard installation: ")
            .contains("forbidden"));
  }

  // --- the cluster -------------------------------------------------------------------------

  private static void startWebhook() throws IOException {
    webhook = ChartWebhook.start(rendered, pki, directory);
    webhook.register(kube.server(), rendered.one("MutatingWebhookConfiguration"));
    awaitDryRun(SHOP, pod -> pod.getMetadata().getAnnotations() != null
        && pod.getMetadata().getAnnotations().containsKey(LanyardNames.STATUS));
  }

  private static void markWebhookDeploymentReady() {
    Deployment deployment =
        client().apps().deployments().inNamespace(Helm.NAMESPACE).withName(WEBHOOK).get();
    deployment.setStatus(
        new DeploymentStatusBuilder().withReplicas(1).withReadyReplicas(1).withAvailableReplicas(1).build());
    client().apps().deployments().inNamespace(Helm.NAMESPACE).resource(deployment).updateStatus();
  }

  private static String webhookVersionLabel() {
    return client().apps().deployments().inNamespace(Helm.NAMESPACE).withName(WEBHOOK).get()
        .getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/version");
  }

  private static void setWebhookVersionLabel(String version) {
    client().apps().deployments().inNamespace(Helm.NAMESPACE).withName(WEBHOOK)
        .edit(d -> {
          d.getSpec().getTemplate().getMetadata().getLabels().put("app.kubernetes.io/version", version);
          return d;
        });
  }

  private static DaemonSet agentDaemonSet() {
    return new DaemonSetBuilder()
        .withNewMetadata().withName("spire-agent").endMetadata()
        .withNewSpec()
        .withNewSelector().addToMatchLabels("app", "spire-agent").endSelector()
        .withNewTemplate()
        .withNewMetadata().addToLabels("app", "spire-agent").endMetadata()
        .withNewSpec()
        .addNewContainer().withName("agent").withImage("ghcr.io/spiffe/spire-agent:1.15.3").endContainer()
        .addNewVolume().withName("sockets").withNewHostPath().withPath("/run/spire/agent-sockets")
        .withType("DirectoryOrCreate").endHostPath().endVolume()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static void createPod(String namespace, String name) {
    client().pods().inNamespace(namespace).resource(new PodBuilder()
        .withNewMetadata().withName(name).addToLabels("probe", name).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("eclipse-temurin:21").endContainer()
        .endSpec().build()).create();
  }

  private static void installCrds() throws IOException {
    Path crds = directory.resolve("minimal-crds.yaml");
    try (InputStream in = CliOnKubeApiServerIT.class.getResourceAsStream("/minimal-crds.yaml")) {
      Files.write(crds, Objects.requireNonNull(in, "minimal-crds.yaml").readAllBytes());
    }
    kube.server().kubectl("apply", "-f", crds.toString()).orThrow();
    kube.server()
        .kubectl("wait", "--for", "condition=Established", "--timeout=60s", "-f", crds.toString())
        .orThrow();
  }

  private static void apply(ObjectNode... objects) throws IOException {
    Path manifest = Files.writeString(
        Files.createTempFile(directory, "chart-", ".yaml"), rendered.yaml(List.of(objects)));
    kube.server().kubectl("apply", "-f", manifest.toString()).orThrow();
  }

  private static void namespace(String name, Map<String, String> labels) {
    client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .withLabels(labels).endMetadata().build()).serverSideApply();
  }

  private static void awaitDryRun(String namespace, Predicate<Pod> condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        Pod probe = client().pods().inNamespace(namespace).resource(new PodBuilder()
            .withNewMetadata().withGenerateName("probe-").endMetadata()
            .withNewSpec().addNewContainer().withName("app").withImage("eclipse-temurin:21")
            .endContainer().endSpec().build()).dryRun().create();
        if (condition.test(probe)) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("pods in " + namespace + " were not injected within 60 s"
        + (last == null ? "" : "; last error: " + last.getMessage()));
  }

  private static KubernetesClient client() {
    return kube.client();
  }

  record Run(int exit, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  /** The CLI in-process, as a user runs it against this cluster, with admin credentials. */
  private static Run cli(String stdin, String... args) {
    return run(kube.server().kubeconfig(), stdin, args);
  }

  private static Run cliAs(Path kubeconfig, String... args) {
    return run(kubeconfig, "", args);
  }

  private static Run run(Path kubeconfig, String stdin, String... args) {
    List<String> withKubeconfig = new ArrayList<>(List.of(args));
    withKubeconfig.add("--kubeconfig");
    withKubeconfig.add(kubeconfig.toString());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = LanyardCli.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    InputStream previous = System.in;
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    try {
      int exit = commandLine.execute(withKubeconfig.toArray(String[]::new));
      return new Run(exit, out.toString(), err.toString());
    } finally {
      System.setIn(previous);
    }
  }
}
