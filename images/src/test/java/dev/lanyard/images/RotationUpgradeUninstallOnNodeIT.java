package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.Wait;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Running injected pods through SVID rotation and the chart's life cycle, on one real node: the
 * demo's Python notifier (sidecar) calls the LLM gateway (javaagent) over mTLS without a pause
 * while their one-minute SVIDs rotate (SPIRE Agents renew at half the lifetime), then while the
 * release is upgraded, then after it is uninstalled, which must remove every object the chart
 * created and nothing the pods need. The pods' registration is the platform's (a ClusterSPIFFEID
 * of this test with {@code ttl: 1m}), as when SPIRE is installed apart from Lanyard; the chart's
 * own ClusterSPIFFEID is on, narrowed to pods labelled {@code registered-by: chart} (none here),
 * so its removal is checked too. The steps run in order on the same pods.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RotationUpgradeUninstallOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster =
      new KubeNodeExtension().withSpire(SpireOptions.builder().build());

  private static final String NS = "rotation-it";
  private static final Duration SVID_TTL = Duration.ofMinutes(1);
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(240);
  private static final String UPGRADED_STARTUP = "wait=45s,then=fail";
  /** Each step's serials of the gateway's javaagent ("app") and of the notifier's sidecar. */
  private static final List<String> PROCESSES = List.of("jvm/app", "python/lanyard-sidecar");

  @BeforeAll
  static void podsRegisteredByThePlatformWithAOneMinuteTtl() {
    ChartOnNode.importImages(node());
    ChartOnNode.install(node(), "webhook.replicas=1", "clusterSPIFFEID.enabled=true",
        "clusterSPIFFEID.podSelector.matchLabels.registered-by=chart");
    ChartOnNode.labelledNamespace(node(), NS);
    ChartOnNode.apply(node(), """
        apiVersion: spire.spiffe.io/v1alpha1
        kind: ClusterSPIFFEID
        metadata: {name: platform-rotation-it}
        spec:
          spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}"
          ttl: %ds
          namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}
        """.formatted(SVID_TTL.toSeconds(), NS));
    ChartOnNode.llmGateway(node(), NS, "");
    ChartOnNode.notifier(node(), NS, "");
    node().awaitReady(NS, "jvm", POD_TIMEOUT);
    node().awaitReady(NS, "python", POD_TIMEOUT);
  }

  @Test
  @Order(1)
  void trafficBetweenTwoInjectedPodsHasNoFailureAcrossTwoRotations() {
    JsonNode first = identity("jvm/app");
    // SPIRE backdates not_before by 10 s (clock skew): the lifetime is the entry's ttl plus that.
    assertThat(Duration.between(Instant.parse(first.path("not_before").asText()),
        Instant.parse(first.path("not_after").asText())))
        .as("the SVID's lifetime: the platform ClusterSPIFFEID's ttl")
        .isBetween(SVID_TTL, SVID_TTL.plusSeconds(10));

    Map<String, Set<String>> serials = trafficWhileWatchingSerials(Duration.ofSeconds(80));

    // Three serials each: the one served first and at least two rotations after it.
    serials.forEach((process, seen) ->
        assertThat(seen).as("serials %s served during the traffic", process).hasSizeGreaterThanOrEqualTo(3));
    assertThat(identity("jvm/app").path("rotation_count").asInt()).isGreaterThanOrEqualTo(2);
    assertThat(identity("python/lanyard-sidecar").path("rotation_count").asInt())
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  @Order(2)
  void helmUpgradeLeavesRunningPodsWorkingAndInjectsWithTheNewValues() {
    ChartOnNode.helm(node(), "upgrade", ChartOnNode.RELEASE, ChartOnNode.chartDir().toString(),
        "--namespace", ChartOnNode.RELEASE_NS, "--reuse-values",
        "--set-string", "injector.defaults.startup=" + UPGRADED_STARTUP.replace(",", "\\,"),
        "--wait", "--timeout", "4m").orThrow();

    // The upgraded webhook (its TLS kept) injects new pods with the new default.
    AtomicReference<String> startup = new AtomicReference<>();
    Wait.until("a new pod injected with LANYARD_STARTUP=" + UPGRADED_STARTUP, Duration.ofSeconds(120),
        () -> {
          startup.set(sidecarEnv(pendingPod(), "LANYARD_STARTUP"));
          return UPGRADED_STARTUP.equals(startup.get());
        });
    Map<String, Set<String>> serials = trafficWhileWatchingSerials(Duration.ofSeconds(40));
    serials.forEach((process, seen) ->
        assertThat(seen).as("serials of %s after the upgrade", process).hasSizeGreaterThanOrEqualTo(2));
  }

  @Test
  @Order(3)
  void helmUninstallRemovesEveryChartObjectAndLeavesRunningPodsWorking() throws IOException {
    Path manifest = Files.createTempFile("lanyard-manifest-", ".yaml");
    try {
      Files.writeString(manifest, ChartOnNode.helm(node(), "get", "manifest", ChartOnNode.RELEASE,
          "--namespace", ChartOnNode.RELEASE_NS).orThrow());
      List<String> created = node().kubectl("get", "-f", manifest.toString(), "-n",
          ChartOnNode.RELEASE_NS, "-o", "name").orThrow().lines().toList();
      assertThat(created).as("the release's objects before uninstalling")
          .contains("deployment.apps/" + ChartOnNode.WEBHOOK_DEPLOYMENT)
          .anyMatch(name -> name.startsWith(
              "mutatingwebhookconfiguration.admissionregistration.k8s.io/"))
          .anyMatch(name -> name.startsWith("clusterrole.rbac.authorization.k8s.io/"))
          .anyMatch(name -> name.startsWith("clusterrolebinding.rbac.authorization.k8s.io/"))
          .anyMatch(name -> name.startsWith("clusterspiffeid.spire.spiffe.io/"));

      ChartOnNode.helm(node(), "uninstall", ChartOnNode.RELEASE, "--namespace",
          ChartOnNode.RELEASE_NS, "--wait", "--timeout", "3m").orThrow();

      String left = node().kubectl("get", "-f", manifest.toString(), "-n", ChartOnNode.RELEASE_NS,
          "-o", "name", "--ignore-not-found").orThrow();
      assertThat(left.lines()).as("objects of the release left after helm uninstall, of %s", created)
          .isEmpty();
    } finally {
      Files.deleteIfExists(manifest);
    }
    // helm's --wait covers the objects, not the Deployment's pods, which drain then terminate.
    Wait.until("the webhook's pods gone", Duration.ofSeconds(90), () -> webhookPods().isEmpty());
    Map<String, Set<String>> serials = trafficWhileWatchingSerials(Duration.ofSeconds(40));
    serials.forEach((process, seen) ->
        assertThat(seen).as("serials of %s after the uninstall", process).hasSizeGreaterThanOrEqualTo(2));
  }

  /**
   * Runs the notifier-to-gateway traffic for {@code length} and reads both processes' serials
   * through their admin endpoints meanwhile; asserts every call verified both ends, and at least
   * one call a second on average, so the calls span the whole window (not a throughput figure).
   */
  private static Map<String, Set<String>> trafficWhileWatchingSerials(Duration length) {
    Map<String, Set<String>> serials = new LinkedHashMap<>();
    PROCESSES.forEach(process -> serials.put(process, new LinkedHashSet<>()));
    long began = System.nanoTime();
    CompletableFuture<MeshTraffic.Summary> traffic = MeshTraffic.start(node(), NS, length);
    while (!traffic.isDone()) {
      for (String process : PROCESSES) {
        serials.get(process).add(identity(process).path("serial").asText());
      }
      Pauses.sleep(Duration.ofSeconds(3));
    }
    MeshTraffic.Summary summary = traffic.join();
    System.err.printf("RotationUpgradeUninstallOnNodeIT: %d calls in %d s, %d failed; serials %s%n",
        summary.calls(), (System.nanoTime() - began) / 1_000_000_000, summary.failures(), serials);
    String trustDomain = cluster.spire().trustDomain();
    summary.assertAllVerified((int) length.toSeconds(), "spiffe://" + trustDomain + "/ns/" + NS + "/sa/llm-gateway",
        "spiffe://" + trustDomain + "/ns/" + NS + "/sa/notifier");
    return serials;
  }

  private static List<String> webhookPods() {
    return node().client().pods().inNamespace(ChartOnNode.RELEASE_NS)
        .withLabel("app.kubernetes.io/instance", ChartOnNode.RELEASE).list().getItems().stream()
        .map(pod -> pod.getMetadata().getName()).toList();
  }

  /** {@code pod/process}'s GET /identity. */
  private static JsonNode identity(String process) {
    String[] podAndProcess = process.split("/");
    Pod pod = node().client().pods().inNamespace(NS).withName(podAndProcess[0]).get();
    return ChartOnNode.adminIdentity(node(), pod, podAndProcess[1], POD_TIMEOUT);
  }

  /** A pod the webhook admits and the scheduler never places (no node has the label it needs). */
  private static Pod pendingPod() {
    Path file = null;
    try {
      file = Files.createTempFile("pending-", ".yaml");
      Files.writeString(file, """
          apiVersion: v1
          kind: Pod
          metadata: {generateName: pending-, namespace: %s}
          spec:
            nodeSelector: {lanyard.dev/test: never}
            containers: [{name: app, image: %s, imagePullPolicy: IfNotPresent}]
          """.formatted(NS, Images.built("demo-notifier").reference()));
      String name = node().kubectl("create", "-f", file.toString(), "-o", "name").orThrow().strip();
      return node().client().pods().inNamespace(NS).withName(name.substring("pod/".length())).get();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      if (file != null) {
        file.toFile().delete();
      }
    }
  }

  private static String sidecarEnv(Pod pod, String name) {
    List<Container> init = pod.getSpec().getInitContainers();
    return init.stream().filter(c -> c.getName().equals("lanyard-sidecar")).findFirst()
        .flatMap(c -> c.getEnv().stream().filter(env -> env.getName().equals(name)).findFirst())
        .map(EnvVar::getValue).orElse(null);
  }


  private static KubeNode node() {
    return cluster.node();
  }
}
