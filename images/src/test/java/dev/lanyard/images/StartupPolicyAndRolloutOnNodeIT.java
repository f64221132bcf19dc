package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.SpireOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Admission and startup on one real node with the chart installed as its defaults have it (two
 * webhook replicas, {@code failurePolicy: Fail}) and no ClusterSPIFFEID of its own, so a pod has
 * no registration entry until this test writes one:
 *
 * <ul>
 *   <li>a JVM with {@code lanyard.dev/startup: wait=5s,then=fail} exits with the documented code
 *       75 and the kubelet shows why (the container's termination message);
 *   <li>a JVM with {@code then=degrade} runs but stays not Ready (the webhook's readiness probe on
 *       the javaagent's health port) until its entry appears, then turns Ready without a restart;
 *   <li>while the webhook Deployment is restarted ({@code kubectl rollout restart}), pods created
 *       without pause are all injected in the labelled namespace (or refused, never admitted
 *       bare) and all admitted untouched outside it.
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StartupPolicyAndRolloutOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster =
      new KubeNodeExtension().withSpire(SpireOptions.builder().build());

  private static final String NS = "startup-it";
  private static final String UNLABELLED_NS = "plain-it";
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(240);

  @BeforeAll
  static void chartInstalledWithoutARegistration() {
    ChartOnNode.importImages(node());
    ChartOnNode.install(node(), "clusterSPIFFEID.enabled=false");
    ChartOnNode.labelledNamespace(node(), NS);
    node().createNamespace(UNLABELLED_NS);
  }

  @Test
  @Order(1)
  void withoutAnEntryThenFailExitsWith75AndTheKubeletShowsWhy() {
    jvm("no-entry-fail", "wait=5s,then=fail");

    Pod pod = node().awaitPod(NS, "no-entry-fail", "restarted after the JVM stopped", POD_TIMEOUT,
        p -> lastTerminated(p) != null);

    ContainerStateTerminated ended = lastTerminated(pod);
    assertThat(ended.getExitCode()).as("the documented exit code for no SVID in time").isEqualTo(75);
    assertThat(ended.getReason()).isEqualTo("Error");
    assertThat(ended.getMessage()).as("the termination message the kubelet shows")
        .startsWith("lanyard: no X.509-SVID from the SPIRE Workload API at unix:///spiffe-workload-api/")
        .contains("after 5s (LANYARD_STARTUP=wait=5s,then=fail)",
            "a registration entry matches this workload",
            "stopping the application (then=fail, exit 75)");
    assertThat(node().kubectl("-n", NS, "describe", "pod", "no-entry-fail").orThrow())
        .contains("Exit Code:    75", "stopping the application (then=fail, exit 75)");
  }

  @Test
  @Order(2)
  void withoutAnEntryThenDegradeStaysNotReadyUntilTheEntryAppearsThenTurnsReadyWithoutRestart() {
    jvm("no-entry-degrade", "wait=5s,then=degrade");
    Pod running = node().awaitPod(NS, "no-entry-degrade", "app running", POD_TIMEOUT,
        p -> app(p) != null && app(p).getState() != null && app(p).getState().getRunning() != null);
    Container injected = running.getSpec().getContainers().get(0);
    assertThat(injected.getReadinessProbe()).as("the webhook's readiness probe").isNotNull();
    assertThat(injected.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");

    // Well past the 5 s wait and many probe periods: running, degraded, never Ready.
    Instant until = Instant.now().plusSeconds(25);
    while (Instant.now().isBefore(until)) {
      Pod pod = pod("no-entry-degrade");
      assertThat(KubeNode.isReady(pod)).as("Ready without an SVID: %s", pod.getStatus()).isFalse();
      assertThat(app(pod).getRestartCount()).isZero();
      Pauses.sleep(Duration.ofSeconds(1));
    }
    assertThat(node().podLog(NS, "no-entry-degrade", "app")).contains("then=degrade");

    long registered = System.nanoTime();
    ChartOnNode.apply(node(), """
        apiVersion: spire.spiffe.io/v1alpha1
        kind: ClusterSPIFFEID
        metadata: {name: late-registration}
        spec:
          spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}"
          podSelector: {matchLabels: {registration: late}}
        """);
    Pod ready = node().awaitReady(NS, "no-entry-degrade", POD_TIMEOUT);

    System.err.printf("StartupPolicyAndRolloutOnNodeIT: Ready %d ms after the ClusterSPIFFEID%n",
        (System.nanoTime() - registered) / 1_000_000);
    assertThat(app(ready).getRestartCount()).as("restarts").isZero();
    assertThat(app(ready).getContainerID()).isEqualTo(app(running).getContainerID());
    assertThat(ChartOnNode.adminIdentity(node(), ready, "app", POD_TIMEOUT).path("spiffe_id").asText())
        .isEqualTo("spiffe://" + cluster.spire().trustDomain() + "/ns/" + NS + "/sa/default");
  }

  @Test
  @Order(3)
  void duringAWebhookRolloutNoPodIsAdmittedUninjectedInTheLabelledNamespaceNorRefusedOutsideIt() {
    List<Created> created = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Void> creator = CompletableFuture.runAsync(() -> {
      for (int i = 0; !stop.get(); i++) {
        created.add(create(i % 2 == 0 ? NS : UNLABELLED_NS));
        Pauses.sleep(Duration.ofMillis(150));
      }
    });
    Pauses.sleep(Duration.ofSeconds(3));
    Instant restarted = Instant.now();
    node().kubectl("-n", ChartOnNode.RELEASE_NS, "rollout", "restart", "deployment/"
        + ChartOnNode.WEBHOOK_DEPLOYMENT).orThrow();
    node().kubectl(Duration.ofMinutes(5), "-n", ChartOnNode.RELEASE_NS, "rollout", "status",
        "deployment/" + ChartOnNode.WEBHOOK_DEPLOYMENT, "--timeout=4m").orThrow();
    Instant rolledOut = Instant.now();
    Pauses.sleep(Duration.ofSeconds(10)); // the old replicas terminate after the rollout reports done
    stop.set(true);
    creator.join();

    List<Created> inside = created.stream().filter(c -> c.namespace().equals(NS)).toList();
    List<Created> outside = created.stream().filter(c -> c.namespace().equals(UNLABELLED_NS)).toList();
    long refusedInside = inside.stream().filter(c -> c.refusal() != null).count();
    System.err.printf("StartupPolicyAndRolloutOnNodeIT: rollout %d ms; %d pods created, %d of"
            + " %d refused in %s%n", Duration.between(restarted, rolledOut).toMillis(),
        created.size(), refusedInside, inside.size(), NS);
    assertThat(created.stream().filter(c -> c.at().isAfter(restarted) && c.at().isBefore(rolledOut)))
        .as("pods created while the rollout ran").hasSizeGreaterThanOrEqualTo(20);
    assertThat(inside).allSatisfy(c -> {
      if (c.refusal() != null) { // failurePolicy Fail: refused, never admitted bare
        assertThat(c.refusal()).contains("inject.lanyard.dev");
      } else {
        assertThat(c.pod().getMetadata().getAnnotations()).as("pod %s", c.name())
            .containsKey("lanyard.dev/status");
        assertThat(c.pod().getSpec().getInitContainers()).extracting(Container::getName)
            .contains("lanyard-sidecar");
      }
    });
    assertThat(inside).filteredOn(c -> c.refusal() == null).as("injected pods").isNotEmpty();
    assertThat(outside).allSatisfy(c -> {
      assertThat(c.refusal()).as("refused outside the labelled namespace").isNull();
      assertThat(c.pod().getMetadata().getAnnotations()).as("pod %s", c.name())
          .doesNotContainKey("lanyard.dev/status");
      assertThat(c.pod().getSpec().getInitContainers()).isEmpty();
    });
  }

  /** One creation during the rollout: the pod as admitted, or the API server's refusal. */
  private record Created(String namespace, Instant at, Pod pod, String refusal) {
    String name() {
      return pod == null ? "(refused)" : namespace + "/" + pod.getMetadata().getName();
    }
  }

  /** A pod the scheduler never places (no node has the label it needs): admission only. */
  private static Created create(String namespace) {
    Instant at = Instant.now();
    Pod pod = new PodBuilder().withNewMetadata().withGenerateName("rollout-").withNamespace(namespace)
        .endMetadata().withNewSpec().addToNodeSelector("lanyard.dev/test", "never")
        .addNewContainer().withName("app").withImage(Images.built("demo-notifier").reference())
        .withImagePullPolicy("IfNotPresent").endContainer().endSpec().build();
    try {
      return new Created(namespace, at,
          node().client().pods().inNamespace(namespace).resource(pod).create(), null);
    } catch (KubernetesClientException refused) {
      return new Created(namespace, at, null, refused.getMessage());
    }
  }

  /** The demo's LLM gateway with no readiness probe of its own, labelled registration: late. */
  private static void jvm(String name, String startup) {
    ChartOnNode.apply(node(), """
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
          namespace: %s
          labels: {registration: late}
          annotations: {lanyard.dev/startup: "%s"}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
          containers:
            - name: app
              image: %s
              imagePullPolicy: IfNotPresent
              command: [java, -XX:+UseSerialGC, -XX:TieredStopAtLevel=1, -Xmx96m, -cp, /app/demo-workloads.jar, dev.lanyard.demo.workloads.LlmGateway]
              env: [{name: PORT, value: "8443"}]
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
              volumeMounts: [{name: tmp, mountPath: /tmp}]
          volumes: [{name: tmp, emptyDir: {sizeLimit: 16Mi}}]
        """.formatted(name, NS, startup, Images.built("demo-workloads").reference()));
  }

  private static ContainerStateTerminated lastTerminated(Pod pod) {
    ContainerStatus app = app(pod);
    return app == null || app.getLastState() == null ? null : app.getLastState().getTerminated();
  }

  private static ContainerStatus app(Pod pod) {
    return pod.getStatus().getContainerStatuses() == null ? null : pod.getStatus()
        .getContainerStatuses().stream().filter(s -> s.getName().equals("app")).findFirst()
        .orElse(null);
  }

  private static Pod pod(String name) {
    return node().client().pods().inNamespace(NS).withName(name).get();
  }


  private static KubeNode node() {
    return cluster.node();
  }
}
