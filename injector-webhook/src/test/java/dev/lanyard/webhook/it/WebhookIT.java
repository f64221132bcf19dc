package dev.lanyard.webhook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.webhook.admission.OwnerEvents;
import dev.lanyard.webhook.cli.LanyardCli;
import dev.lanyard.webhook.inject.InjectionStatus;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.TestPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The webhook behind a real kube-apiserver (MutatingAdmissionWebhook and PodSecurity admission on).
 */
class WebhookIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  private static final String INJECTED = "it-injected";
  private static final String PLAIN = "it-plain";
  private static final String RESTRICTED = "it-restricted";
  private static final String JVM_IMAGE = "eclipse-temurin:21";

  @TempDir static Path directory;

  private static WebhookFixture webhook;
  private static OwnerEvents events;

  @BeforeAll
  static void startWebhook() throws Exception {
    webhook =
        new WebhookFixture(
            kube.server(),
            directory,
            TestPods.config(),
            metrics -> {
              events =
                  new OwnerEvents(
                      kube.server().adminClient(),
                      metrics,
                      Clock.systemUTC(),
                      TestPods.config().namespaceLabel(),
                      TestPods.config().webhookNamespace());
              return events;
            });
    webhook.createNamespace(INJECTED, Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    webhook.createNamespace(PLAIN, Map.of());
    webhook.createNamespace(
        RESTRICTED,
        Map.of(
            LanyardNames.INJECT,
            LanyardNames.NAMESPACE_ENABLED,
            "pod-security.kubernetes.io/enforce",
            "restricted"));
    webhook.awaitInjecting(INJECTED);
  }

  @AfterAll
  static void stopWebhook() {
    if (events != null) {
      events.close();
    }
    if (webhook != null) {
      webhook.close();
    }
  }

  private static KubernetesClient client() {
    return kube.client();
  }

  @Test
  void aPodInALabeledNamespaceReadsBackWithTheJarTheSocketAndMergedJavaToolOptions() {
    Pod created =
        client()
            .pods()
            .inNamespace(INJECTED)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("orders")
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("app")
                    .withImage(JVM_IMAGE)
                    .addNewEnv()
                    .withName("JAVA_TOOL_OPTIONS")
                    .withValue("-Xmx256m")
                    .endEnv()
                    .endContainer()
                    .endSpec()
                    .build())
            .create();

    Pod pod = client().pods().inNamespace(INJECTED).withName(created.getMetadata().getName()).get();

    Container app = pod.getSpec().getContainers().get(0);
    assertThat(env(app, "JAVA_TOOL_OPTIONS"))
        .contains("-Xmx256m -javaagent:/lanyard/javaagent.jar");
    assertThat(env(app, "SPIFFE_ENDPOINT_SOCKET"))
        .contains("unix:///spiffe-workload-api/spire-agent.sock");
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("lanyard-javaagent");
    assertThat(volume(pod, "spiffe-workload-api").getCsi().getDriver()).isEqualTo("csi.spiffe.io");
    assertThat(volume(pod, "lanyard-javaagent").getEmptyDir()).isNotNull();
    assertThat(app.getVolumeMounts())
        .extracting(m -> m.getMountPath())
        .contains("/lanyard", "/spiffe-workload-api");
    assertThat(
            InjectionStatus.parse(pod.getMetadata().getAnnotations().get(LanyardNames.STATUS))
                .orElseThrow()
                .containers())
        .containsEntry("app", "javaagent");
  }

  @Test
  void podsInAnUnlabeledNamespaceOrThatOptOutAreUntouched() {
    Pod plain = client().pods().inNamespace(PLAIN).resource(TestPods.jvmPod()).create();
    Pod optedOut =
        client()
            .pods()
            .inNamespace(INJECTED)
            .resource(
                new PodBuilder(TestPods.jvmPod())
                    .editMetadata()
                    .withName("opted-out")
                    .addToLabels(LanyardNames.INJECT, "false")
                    .endMetadata()
                    .build())
            .create();

    for (Pod pod : List.of(plain, optedOut)) {
      assertThat(pod.getMetadata().getAnnotations()).doesNotContainKey(LanyardNames.STATUS);
      assertThat(pod.getSpec().getInitContainers()).isEmpty();
      assertThat(pod.getSpec().getContainers().get(0).getEnv()).isEmpty();
    }
  }

  @Test
  void aJvmAndANonJvmContainerGetTheJavaagentAndTheSidecar() {
    Pod pod =
        client()
            .pods()
            .inNamespace(INJECTED)
            .resource(
                TestPods.pod(
                    "mixed",
                    TestPods.container("planner", JVM_IMAGE),
                    TestPods.container("ui", "node:20")))
            .create();

    Container planner = TestPods.app(pod, "planner");
    Container ui = TestPods.app(pod, "ui");
    assertThat(env(planner, "JAVA_TOOL_OPTIONS")).contains("-javaagent:/lanyard/javaagent.jar");
    assertThat(env(planner, "HTTP_PROXY")).isEmpty();
    assertThat(env(ui, "JAVA_TOOL_OPTIONS")).isEmpty();
    assertThat(env(ui, "HTTP_PROXY")).contains("http://127.0.0.1:15001");
    Container sidecar = TestPods.init(pod, "lanyard-sidecar").orElseThrow();
    assertThat(sidecar.getRestartPolicy()).isEqualTo("Always");
    assertThat(sidecar.getStartupProbe().getHttpGet().getPath()).isEqualTo("/ready");
  }

  /**
   * Issue 17 item 5: the sidecar's listeners (admin, proxy, /shutdown, health) and the javaagent's
   * admin endpoint each get a port of their own, as the apiserver stores the pod. Before, the
   * javaagent got 15002, the sidecar's /shutdown port.
   */
  @Test
  void aJvmAndANonJvmContainerGetDistinctLanyardPortsInStatusAndEnv() {
    Pod pod =
        client()
            .pods()
            .inNamespace(INJECTED)
            .resource(
                TestPods.pod(
                    "mixed-ports",
                    TestPods.container("planner", JVM_IMAGE),
                    TestPods.container("ui", "node:20")))
            .create();
    pod = client().pods().inNamespace(INJECTED).withName(pod.getMetadata().getName()).get();

    InjectionStatus status =
        InjectionStatus.parse(pod.getMetadata().getAnnotations().get(LanyardNames.STATUS))
            .orElseThrow();
    Container sidecar = TestPods.init(pod, "lanyard-sidecar").orElseThrow();
    Container planner = TestPods.app(pod, "planner");
    Map<String, Integer> listeners = new java.util.LinkedHashMap<>();
    // Where the sidecar listens: its env, or the sidecar's own default when the env is unset
    // (/shutdown on 127.0.0.1:15002; the health port is off unless set).
    Map<String, String> sidecarDefaults =
        Map.of("LANYARD_SHUTDOWN_ADDRESS", "127.0.0.1:15002");
    for (String key :
        List.of(
            "LANYARD_ADMIN_ADDRESS",
            "LANYARD_OUTBOUND_PROXY",
            "LANYARD_SHUTDOWN_ADDRESS",
            "LANYARD_HEALTH_ADDRESS")) {
      env(sidecar, key)
          .or(() -> Optional.ofNullable(sidecarDefaults.get(key)))
          .ifPresent(address -> listeners.put("sidecar " + key, port(address)));
    }
    listeners.put("planner LANYARD_ADMIN_ADDRESS", port(env(planner, "LANYARD_ADMIN_ADDRESS").orElseThrow()));

    assertThat(listeners.values()).as("Lanyard's listeners in pod %s", listeners).doesNotHaveDuplicates();
    assertThat(status.adminPorts())
        .containsEntry("lanyard-sidecar", listeners.get("sidecar LANYARD_ADMIN_ADDRESS"))
        .containsEntry("planner", listeners.get("planner LANYARD_ADMIN_ADDRESS"));
    assertThat(env(sidecar, "LANYARD_ADMIN_ADDRESS")).hasValueSatisfying(v -> assertThat(v).startsWith("127.0.0.1:"));
    assertThat(env(sidecar, "LANYARD_HEALTH_ADDRESS")).contains("0.0.0.0:15021");
    assertThat(sidecar.getStartupProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
  }

  /** Issue 17 item 5: an inbound route to the sidecar's /shutdown is denied, with the reason. */
  @Test
  void anInboundRouteToTheShutdownPortIsDeniedNamingThePortAndItsUse() {
    Pod pod =
        new PodBuilder(TestPods.pod("drainable", TestPods.container("ui", "node:20")))
            .editMetadata()
            .addToAnnotations(LanyardNames.INBOUND, "8443:15002")
            .endMetadata()
            .build();

    assertThatThrownBy(() -> client().pods().inNamespace(INJECTED).resource(pod).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("denied the request")
        .hasMessageContaining(
            "lanyard.dev/inbound entry \"8443:15002\" routes mesh peers to port 15002, which is"
                + " the sidecar's POST /shutdown");
    assertThat(client().pods().inNamespace(INJECTED).withName("drainable").get()).isNull();
  }

  private static int port(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }

  @Test
  void aNamespaceEnforcingPodSecurityRestrictedAdmitsInjectedPods() {
    Pod compliant =
        new PodBuilder(
                TestPods.pod(
                    "ledger",
                    TestPods.container("ledger", JVM_IMAGE),
                    TestPods.container("exporter", "ghcr.io/acme/exporter:1")))
            .editSpec()
            .withNewSecurityContext()
            .withRunAsNonRoot(true)
            .withRunAsUser(10001L)
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext()
            .editContainer(0)
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities()
            .withDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .endContainer()
            .editContainer(1)
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities()
            .withDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .endContainer()
            .endSpec()
            .build();

    Pod pod = client().pods().inNamespace(RESTRICTED).resource(compliant).create();

    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("lanyard-javaagent", "lanyard-sidecar");
    // The control: this namespace does enforce "restricted".
    assertThatThrownBy(
            () ->
                client()
                    .pods()
                    .inNamespace(RESTRICTED)
                    .resource(TestPods.pod("careless", TestPods.container("app", "python:3")))
                    .create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("violates PodSecurity \"restricted");
  }

  @Test
  void aReplicaSetPodWithGenerateNameIsInjectedAndTheDeploymentGetsAnEvent() {
    Deployment deployment =
        client()
            .apps()
            .deployments()
            .inNamespace(INJECTED)
            .resource(
                new DeploymentBuilder()
                    .withNewMetadata()
                    .withName("web")
                    .endMetadata()
                    .withNewSpec()
                    .withNewSelector()
                    .addToMatchLabels("app", "web")
                    .endSelector()
                    .withNewTemplate()
                    .withNewMetadata()
                    .addToLabels("app", "web")
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("web")
                    .withImage("nginx:1.27")
                    .endContainer()
                    .endSpec()
                    .endTemplate()
                    .endSpec()
                    .build())
            .create();
    ReplicaSet replicaSet =
        client()
            .apps()
            .replicaSets()
            .inNamespace(INJECTED)
            .resource(
                new ReplicaSetBuilder()
                    .withNewMetadata()
                    .withName("web-7c9d8f6b5")
                    .addNewOwnerReference()
                    .withApiVersion("apps/v1")
                    .withKind("Deployment")
                    .withName("web")
                    .withUid(deployment.getMetadata().getUid())
                    .withController(true)
                    .endOwnerReference()
                    .endMetadata()
                    .withNewSpec()
                    .withNewSelector()
                    .addToMatchLabels("app", "web")
                    .endSelector()
                    .withNewTemplate()
                    .withNewMetadata()
                    .addToLabels("app", "web")
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("web")
                    .withImage("nginx:1.27")
                    .endContainer()
                    .endSpec()
                    .endTemplate()
                    .endSpec()
                    .build())
            .create();

    // As the ReplicaSet controller creates it: generateName, an owner, no namespace in the object.
    Pod pod =
        client()
            .pods()
            .inNamespace(INJECTED)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withGenerateName("web-7c9d8f6b5-")
                    .addToLabels("app", "web")
                    .addNewOwnerReference()
                    .withApiVersion("apps/v1")
                    .withKind("ReplicaSet")
                    .withName("web-7c9d8f6b5")
                    .withUid(replicaSet.getMetadata().getUid())
                    .withController(true)
                    .endOwnerReference()
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("web")
                    .withImage("nginx:1.27")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();

    assertThat(pod.getMetadata().getName()).startsWith("web-7c9d8f6b5-");
    assertThat(pod.getMetadata().getAnnotations()).containsKey(LanyardNames.STATUS);
    Event event = awaitEvent(INJECTED, "web", "Injected");
    assertThat(event.getInvolvedObject().getKind()).isEqualTo("Deployment");
    assertThat(event.getInvolvedObject().getUid()).isEqualTo(deployment.getMetadata().getUid());
    assertThat(event.getMessage()).contains("web=sidecar").contains("web-7c9d8f6b5-*");
  }

  @Test
  void aReviewPostedStraightToTheWebhookPlantsNoEventOnAForgedOwner() throws Exception {
    // What any pod that reaches /mutate can send: a pod "owned" by a kube-system ReplicaSet that
    // does not exist, and one naming a real ReplicaSet of a labeled namespace with a wrong uid.
    ReplicaSet real = replicaSet(INJECTED, "forged-target");
    Pod inKubeSystem = ownedPod("coredns-", "ReplicaSet", "coredns-5d78c9869d", "0c1d-forged");
    Pod wrongUid = ownedPod("forged-target-", "ReplicaSet", "forged-target", "0c1d-forged");
    double before = webhook.metrics().events("unconfirmed_owner");

    assertThat(
            webhook
                .postDirectly(
                    dev.lanyard.webhook.admission.Reviews.podCreate(
                        "forged-1", inKubeSystem, "kube-system", false))
                .statusCode())
        .isEqualTo(200);
    assertThat(
            webhook
                .postDirectly(
                    dev.lanyard.webhook.admission.Reviews.podCreate(
                        "forged-2", wrongUid, INJECTED, false))
                .statusCode())
        .isEqualTo(200);

    awaitMetric("unconfirmed_owner", before + 2);
    assertThat(client().v1().events().inNamespace("kube-system").list().getItems())
        .as("Events in kube-system")
        .noneMatch(e -> "lanyard-webhook".equals(e.getReportingComponent()));
    assertThat(client().v1().events().inNamespace(INJECTED).list().getItems())
        .as("Events on the real ReplicaSet %s", real.getMetadata().getName())
        .noneMatch(e -> "forged-target".equals(e.getInvolvedObject().getName()));
  }

  @Test
  void checkInjectExplainsLivePodsAndIdentitiesListsInjectedOnes() {
    client()
        .pods()
        .inNamespace(INJECTED)
        .resource(TestPods.pod("explained", TestPods.container("app", JVM_IMAGE)))
        .create();
    client()
        .pods()
        .inNamespace(PLAIN)
        .resource(TestPods.pod("unexplained", TestPods.container("app", JVM_IMAGE)))
        .create();

    String injected = cli("check-inject", "-n", INJECTED, "pod/explained", "--offline");
    String plain = cli("check-inject", "-n", PLAIN, "pod/unexplained", "--offline");
    String identities = cli("identities", "-n", INJECTED);

    assertThat(injected)
        .contains("pod/explained (namespace it-injected): injected")
        .contains("container app: javaagent, admin port 15000");
    assertThat(plain)
        .contains("namespace it-plain is not labeled lanyard.dev/inject=enabled")
        .contains("kubectl label namespace it-plain lanyard.dev/inject=enabled");
    assertThat(identities).startsWith("POD").contains("explained").contains("(pod is Pending)");
  }

  @Test
  void withTheWebhookDownFailRefusesClearlyAndIgnoreCreatesUninjectedPods() throws Exception {
    webhook.stop();
    try {
      RuntimeException refusal = webhook.awaitRefusal(INJECTED);
      assertThat(refusal).isInstanceOf(KubernetesClientException.class);
      assertThat(refusal.getMessage())
          .contains("failed calling webhook \"" + WebhookFixture.WEBHOOK + "\"")
          .contains("127.0.0.1");

      webhook.register("Ignore");
      Pod uninjected =
          webhook.awaitPod(INJECTED, pod -> true, "admitted with failurePolicy Ignore");
      assertThat(uninjected.getMetadata().getAnnotations()).doesNotContainKey(LanyardNames.STATUS);
      assertThat(uninjected.getSpec().getInitContainers()).isEmpty();
    } finally {
      webhook.restart();
      webhook.register("Fail");
      webhook.awaitInjecting(INJECTED);
    }
  }

  private static String cli(String... args) {
    String[] withKubeconfig = new String[args.length + 2];
    System.arraycopy(args, 0, withKubeconfig, 0, args.length);
    withKubeconfig[args.length] = "--kubeconfig";
    withKubeconfig[args.length + 1] = kube.server().kubeconfig().toString();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = LanyardCli.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    int exit = commandLine.execute(withKubeconfig);
    assertThat(exit).as("lanyard %s: %s", String.join(" ", args), err).isZero();
    return out.toString();
  }

  private static Event awaitEvent(String namespace, String involvedName, String reason) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Event> event =
          client().v1().events().inNamespace(namespace).list().getItems().stream()
              .filter(
                  e ->
                      involvedName.equals(e.getInvolvedObject().getName())
                          && reason.equals(e.getReason()))
              .findFirst();
      if (event.isPresent()) {
        return event.get();
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError(
        "no " + reason + " Event on " + involvedName + " in " + namespace + " within 20 s");
  }

  private static ReplicaSet replicaSet(String namespace, String name) {
    return client()
        .apps()
        .replicaSets()
        .inNamespace(namespace)
        .resource(
            new ReplicaSetBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withReplicas(0)
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", name)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("app")
                .withImage("nginx:1.27")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  private static Pod ownedPod(String generateName, String kind, String owner, String uid) {
    return new PodBuilder()
        .withNewMetadata()
        .withGenerateName(generateName)
        .addNewOwnerReference()
        .withApiVersion("apps/v1")
        .withKind(kind)
        .withName(owner)
        .withUid(uid)
        .withController(true)
        .endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("nginx:1.27")
        .endContainer()
        .endSpec()
        .build();
  }

  private static void awaitMetric(String result, double atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (webhook.metrics().events(result) < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "lanyard_webhook_events_total{result=\""
                + result
                + "\"} stayed at "
                + webhook.metrics().events(result)
                + ", expected "
                + atLeast);
      }
      Thread.sleep(100);
    }
  }

  private static Optional<String> env(Container container, String name) {
    return container.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst();
  }

  private static Volume volume(Pod pod, String name) {
    return pod.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
