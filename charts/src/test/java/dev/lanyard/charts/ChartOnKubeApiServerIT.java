package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.Tools;
import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rendered chart against a real kube-apiserver (testkit): every object is accepted by a server
 * dry run, the webhook's own pod passes Pod Security "restricted", and the rendered
 * MutatingWebhookConfiguration, pointed at the real webhook jar running as a process with the
 * rendered injector configuration, injects pods in labeled namespaces and leaves the others alone.
 */
class ChartOnKubeApiServerIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  @TempDir static Path directory;

  private static ChartWebhook webhook;

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  @Test
  void everyRenderedObjectIsAcceptedByAServerDryRun() throws IOException {
    ensureNamespace(Helm.NAMESPACE, Map.of());
    installMinimalCrds();
    List<Map<String, String>> variants =
        List.of(
            Map.of(),
            Map.of(
                "injector.socket.type", "hostPath",
                "admission.failurePolicy", "Ignore",
                "webhook.events", "false",
                "webhook.podAntiAffinity", "hard",
                "webhook.replicas", "3"),
            Map.of(
                "tls.mode", "certManager",
                "clusterSPIFFEID.enabled", "true",
                "clusterSPIFFEID.podSelector.matchLabels.team", "a"),
            Map.of(
                "webhook.networkPolicy.apiServerCIDRs[0]", "10.0.0.0/24",
                "webhook.networkPolicy.extraFrom[0].namespaceSelector.matchLabels.team",
                    "monitoring",
                "injector.ceiling.allowedPeers", "spiffe://example.org/ns/prod/**",
                "injector.ceiling.auditNamespaces[0]", "staging"));
    for (Map<String, String> values : variants) {
      Rendered rendered = Helm.template(values);
      Path manifest = Files.writeString(
          Files.createTempFile(directory, "rendered-", ".yaml"), rendered.yaml(rendered.objects()));

      Command.Result dryRun =
          kube.server().kubectl("apply", "--dry-run=server", "-f", manifest.toString(), "-o", "name");

      assertThat(dryRun.exitCode()).as("server dry run of %s:%n%s", values, dryRun.output()).isZero();
      assertThat(dryRun.output().lines().filter(line -> line.contains("/")).count())
          .as("objects accepted for %s: %s", values, dryRun.output())
          .isEqualTo(rendered.objects().size());
    }
  }

  @Test
  void webhookPodPassesPodSecurityRestricted() {
    String namespace = "restricted-check";
    ensureNamespace(namespace, Map.of("pod-security.kubernetes.io/enforce", "restricted"));
    PodSpec spec = Serialization.unmarshal(
        Helm.template(Map.of()).podSpec().toString(), PodSpec.class);

    Pod accepted = client().resource(pod("webhook", spec)).inNamespace(namespace).dryRun().create();
    assertThat(accepted.getSpec().getContainers()).hasSize(1);

    // The control: the same namespace refuses the pod once one restriction is lifted.
    PodSpec loosened = Serialization.clone(spec);
    loosened.getContainers().get(0).getSecurityContext().setAllowPrivilegeEscalation(true);
    assertThatThrownBy(
            () -> client().resource(pod("loosened", loosened)).inNamespace(namespace).dryRun().create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("restricted")
        .hasMessageContaining("allowPrivilegeEscalation");
  }

  @Test
  void renderedWebhookConfigurationInjectsPodsInLabeledNamespacesOnly() throws Exception {
    Rendered rendered = Helm.template(Map.of());
    TestPki pki = TestPki.create("lanyard-chart-test-ca");
    webhook = ChartWebhook.start(rendered, pki, directory);
    webhook.register(kube.server(), rendered.one("MutatingWebhookConfiguration"));

    ensureNamespace("team-a", Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    ensureNamespace("team-b", Map.of());
    ensureNamespace(Helm.NAMESPACE, Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    awaitDryRun("team-a", p -> annotations(p).containsKey(LanyardNames.STATUS), "injected");

    Pod injected = create("team-a", pod("orders", appSpec()));
    assertThat(annotations(injected)).containsKey(LanyardNames.STATUS);
    Volume socket = volume(injected, LanyardNames.SOCKET_VOLUME);
    assertThat(socket.getCsi().getDriver()).isEqualTo("csi.spiffe.io");
    assertThat(socket.getCsi().getReadOnly()).isTrue();
    assertThat(initContainer(injected, LanyardNames.JAVAAGENT_INIT_CONTAINER).getImage())
        .as("the javaagent image from the rendered ConfigMap")
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-javaagent:0.1.0-SNAPSHOT");
    assertThat(initContainer(injected, LanyardNames.SIDECAR_CONTAINER).getImage())
        .as("the sidecar image from the rendered ConfigMap (for the non-JVM container)")
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-sidecar:0.1.0-SNAPSHOT");
    assertThat(env(injected, "app", LanyardNames.JAVA_TOOL_OPTIONS))
        .contains(LanyardNames.JAVAAGENT_FLAG);

    // values.yaml says the CSI socket keeps injected pods within Pod Security "restricted".
    ensureNamespace("team-r", Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED,
        "pod-security.kubernetes.io/enforce", "restricted"));
    Pod restricted = create("team-r", pod("orders", restrictedAppSpec()));
    assertThat(annotations(restricted)).containsKey(LanyardNames.STATUS);

    Pod unlabeled = create("team-b", pod("orders", appSpec()));
    assertThat(annotations(unlabeled)).doesNotContainKey(LanyardNames.STATUS);
    assertThat(unlabeled.getSpec().getInitContainers()).isEmpty();

    Pod own = create(Helm.NAMESPACE, pod("orders", appSpec()));
    assertThat(annotations(own)).as("the release namespace is never injected").doesNotContainKey(
        LanyardNames.STATUS);

    Pod optedOut =
        create(
            "team-a",
            new PodBuilder(pod("opted-out", appSpec()))
                .editMetadata()
                .addToLabels(LanyardNames.INJECT, "false")
                .endMetadata()
                .build());
    assertThat(annotations(optedOut)).doesNotContainKey(LanyardNames.STATUS);

    // The objectSelector kept the opted-out pod (and the namespaceSelector the others) from the
    // webhook altogether: it counted injections, never an opt-out or a webhook-namespace skip.
    String metrics = webhook.get("/metrics");
    assertThat(metrics).contains("outcome=\"injected\"");
    assertThat(metrics).doesNotContain("opted_out").doesNotContain("webhook_namespace");

    // The rendered failurePolicy (Fail): with the webhook gone, labeled namespaces refuse new
    // pods, and nothing else notices.
    webhook.stop();
    String refusal = awaitRefusal("team-a");
    assertThat(refusal).contains("inject.lanyard.dev");
    assertThat(annotations(create("team-b", pod("orders", appSpec()))))
        .doesNotContainKey(LanyardNames.STATUS);
    assertThat(create(Helm.NAMESPACE, pod("orders", appSpec()))).isNotNull();
  }

  @Test
  void helmUpgradeKeepsTheGeneratedCertificateAndItsCaBundle() {
    String namespace = "lanyard-upgrade";
    // A label no namespace has: this release's webhook (with no pods behind it) selects nothing.
    List<String> values = List.of("--set", "admission.namespaceLabel.value=upgrade-check-only");
    helm("install", "upgrade-check", namespace, values);
    try {
      String secret = "upgrade-check-lanyard-webhook-tls";
      String configuration = "upgrade-check-lanyard-" + namespace;
      String certificate = secretData(namespace, secret, "tls.crt");
      String ca = secretData(namespace, secret, "ca.crt");
      assertThat(caBundle(configuration)).isEqualTo(ca);

      List<String> upgraded = new ArrayList<>(values);
      upgraded.addAll(List.of("--set", "webhook.replicas=3"));
      helm("upgrade", "upgrade-check", namespace, upgraded);

      assertThat(client().apps().deployments().inNamespace(namespace)
          .withName("upgrade-check-lanyard-webhook").get().getSpec().getReplicas()).isEqualTo(3);
      assertThat(secretData(namespace, secret, "tls.crt"))
          .as("the serving certificate survives an upgrade (lookup)").isEqualTo(certificate);
      assertThat(caBundle(configuration)).isEqualTo(ca);
    } finally {
      helm("uninstall", "upgrade-check", namespace, List.of());
    }
  }

  private static void helm(String action, String release, String namespace, List<String> extra) {
    List<String> command = new ArrayList<>(List.of(
        Tools.require("helm").toString(), action, release));
    if (!action.equals("uninstall")) {
      command.add(Helm.chartDir().toString());
      command.add("--create-namespace");
    }
    command.addAll(List.of("--namespace", namespace,
        "--kubeconfig", kube.server().kubeconfig().toString()));
    command.addAll(extra);
    Command.run(Duration.ofSeconds(120), command).orThrow();
  }

  private static String secretData(String namespace, String name, String key) {
    return client().secrets().inNamespace(namespace).withName(name).get().getData().get(key);
  }

  private static String caBundle(String configuration) {
    return client().admissionRegistration().v1().mutatingWebhookConfigurations()
        .withName(configuration).get().getWebhooks().get(0).getClientConfig().getCaBundle();
  }

  /** Waits until pod creation in {@code namespace} fails, and returns the error. */
  private static String awaitRefusal(String namespace) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        client().resource(pod("probe", appSpec())).inNamespace(namespace).dryRun().create();
      } catch (KubernetesClientException e) {
        return e.getMessage();
      }
      sleep(250);
    }
    throw new AssertionError("pod creation in " + namespace + " was still accepted after 60 s");
  }

  private static void installMinimalCrds() throws IOException {
    Path crds = directory.resolve("minimal-crds.yaml");
    try (InputStream in = ChartOnKubeApiServerIT.class.getResourceAsStream("/minimal-crds.yaml")) {
      Files.write(crds, Objects.requireNonNull(in, "minimal-crds.yaml").readAllBytes());
    }
    kube.server().kubectl("apply", "-f", crds.toString()).orThrow();
    kube.server()
        .kubectl("wait", "--for", "condition=Established", "--timeout=60s", "-f", crds.toString())
        .orThrow();
  }

  private static void ensureNamespace(String name, Map<String, String> labels) {
    client()
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
            .endMetadata().build())
        .serverSideApply();
  }

  /** The apiserver picks up webhook configurations asynchronously: dry-run until it is in force. */
  private static void awaitDryRun(String namespace, Predicate<Pod> condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        Pod probe = client().resource(pod("probe", appSpec())).inNamespace(namespace).dryRun()
            .create();
        if (condition.test(probe)) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      sleep(250);
    }
    throw new AssertionError("a pod in " + namespace + " was not " + what + " within 60 s"
        + (last == null ? "" : "; last error: " + last.getMessage()) + "\nwebhook output:\n"
        + webhook.output());
  }

  private static Pod create(String namespace, Pod pod) {
    return client().resource(pod).inNamespace(namespace).create();
  }

  /** A JVM container (image eclipse-temurin) and a non-JVM one (python): javaagent and sidecar. */
  private static PodSpec appSpec() {
    return new PodBuilder()
        .withNewSpec()
        .addNewContainer().withName("app").withImage("eclipse-temurin:21-jre").endContainer()
        .addNewContainer().withName("notifier").withImage("python:3.13-slim").endContainer()
        .endSpec()
        .build()
        .getSpec();
  }

  /** {@link #appSpec()} as a "restricted" namespace admits it. */
  private static PodSpec restrictedAppSpec() {
    PodSpec spec = appSpec();
    spec.setSecurityContext(new PodSecurityContextBuilder()
        .withRunAsNonRoot(true).withRunAsUser(10001L)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().build());
    for (Container container : spec.getContainers()) {
      container.setSecurityContext(new SecurityContextBuilder()
          .withAllowPrivilegeEscalation(false)
          .withNewCapabilities().withDrop("ALL").endCapabilities().build());
    }
    return spec;
  }

  private static Pod pod(String generateName, PodSpec spec) {
    return new PodBuilder()
        .withNewMetadata().withGenerateName(generateName + "-").endMetadata()
        .withSpec(spec)
        .build();
  }

  private static Map<String, String> annotations(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations == null ? Map.of() : annotations;
  }

  private static Volume volume(Pod pod, String name) {
    return pod.getSpec().getVolumes().stream().filter(v -> name.equals(v.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name + " in " + pod.getSpec()));
  }

  private static Container initContainer(Pod pod, String name) {
    return pod.getSpec().getInitContainers().stream().filter(c -> name.equals(c.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no init container " + name + " in " + pod.getSpec()));
  }

  private static String env(Pod pod, String container, String variable) {
    return pod.getSpec().getContainers().stream().filter(c -> container.equals(c.getName()))
        .flatMap(c -> c.getEnv().stream()).filter(e -> variable.equals(e.getName()))
        .map(e -> e.getValue()).findFirst().orElse("");
  }

  private static KubernetesClient client() {
    return kube.client();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
