package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.PortForward;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.Tools;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chart on a real node with SPIRE as clusters run it: {@code helm install charts/lanyard}
 * (the webhook as a Deployment with the chart's generated TLS, the images this module built,
 * the SPIRE Agent socket by {@code hostPath}, the chart's ClusterSPIFFEID), a namespace labelled
 * {@code lanyard.dev/inject=enabled}, and pods created with no Lanyard in them: a JVM gets the
 * javaagent and its SVID from SPIRE's {@code k8s} attestor with the ID of the chart's template,
 * read from its admin endpoint through {@code kubectl port-forward}; a Python pod gets the sidecar
 * as a native sidecar and becomes Ready, and its plain-HTTP call reaches the JVM's Service over
 * mTLS, each end naming the other's ID. One node and one install for the class.
 */
class ChartOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster =
      new KubeNodeExtension().withSpire(SpireOptions.builder().build());

  private static final String RELEASE_NS = "lanyard-system";
  private static final String NS = "chart-it";
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(240);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** When the pods were created (System.nanoTime), for their time to Ready. */
  private static long created;
  private static final java.util.Set<String> REPORTED_READY =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void chartInstalledAndNamespaceLabelled() throws IOException {
    KubeNode node = cluster.node();
    long began = System.nanoTime();
    ChartOnNode.importImages(node);
    long imported = System.nanoTime();

    // One webhook replica: one node, two busy cores; the rest is the chart's defaults but the
    // socket mode (no CSI driver registers here) and its ClusterSPIFFEID (nothing else registers).
    ChartOnNode.install(node, "webhook.replicas=1", "clusterSPIFFEID.enabled=true");
    long installed = System.nanoTime();

    ChartOnNode.labelledNamespace(node, NS);
    podsWrittenWithoutLanyard();
    System.err.printf("ChartOnNodeIT: node %d ms, SPIRE %d ms, image import %d ms,"
            + " helm install to webhook Ready %d ms%n", node.startTime().toMillis(),
        cluster.spire().startTime().toMillis(), (imported - began) / 1_000_000,
        (installed - imported) / 1_000_000);
  }

  /**
   * A JVM (the demo image's LLM gateway behind a Service) and the Python notifier, as a user
   * writes them: nothing of Lanyard but the startup and inbound annotations.
   */
  private static void podsWrittenWithoutLanyard() {
    created = System.nanoTime();
    ChartOnNode.llmGateway(node(), NS, "");
    ChartOnNode.notifier(node(), NS, "");
  }

  @Test
  void aJvmPodGetsTheJavaagentAndTheChartTemplatesIdFromTheK8sAttestor() throws IOException {
    Pod pod = awaitReady("jvm");

    // Injected by the webhook the chart deployed: the carrier copies the agent, the JVM loads it.
    assertThat(pod.getSpec().getInitContainers()).extracting(Container::getName)
        .contains("lanyard-javaagent");
    Container app = pod.getSpec().getContainers().get(0);
    assertThat(app.getEnv()).anySatisfy(env -> {
      assertThat(env.getName()).isEqualTo("JAVA_TOOL_OPTIONS");
      assertThat(env.getValue()).contains("-javaagent:/lanyard/javaagent.jar");
    });
    assertThat(pod.getSpec().getVolumes()).anySatisfy(volume ->
        assertThat(volume.getHostPath()).isNotNull()
            .satisfies(path -> assertThat(path.getPath()).isEqualTo("/run/spire/agent-sockets")));
    String expected = "spiffe://" + cluster.spire().trustDomain() + "/ns/" + NS + "/sa/llm-gateway";

    JsonNode identity = adminIdentity(pod, "app");

    assertThat(identity.path("spiffe_id").asText()).as("spiffe_id in %s", identity).isEqualTo(expected);
    assertThat(node().podLog(NS, "jvm", "app"))
        .contains("Picked up JAVA_TOOL_OPTIONS: -javaagent:/lanyard/javaagent.jar");
    // SPIRE issued it for this pod's k8s selectors, through the chart's ClusterSPIFFEID.
    assertThat(cluster.spire().entriesOfPod(pod.getMetadata().getUid())).singleElement()
        .satisfies(entry -> {
          assertThat(entry.spiffeId()).isEqualTo(expected);
          assertThat(entry.selectors()).allMatch(selector -> selector.startsWith("k8s:"));
        });
    assertThat(cluster.spire().attestedSelectors(pod.getMetadata().getUid()))
        .contains("k8s:ns:" + NS, "k8s:sa:llm-gateway", "k8s:container-name:app");
  }

  @Test
  void aPythonPodGetsTheSidecarAsANativeSidecarAndBecomesReady() throws IOException {
    Pod pod = awaitReady("python");

    Container sidecar = pod.getSpec().getInitContainers().stream()
        .filter(c -> c.getName().equals("lanyard-sidecar")).findFirst().orElseThrow(() ->
            new AssertionError("no lanyard-sidecar init container in " + pod.getSpec().getInitContainers()));
    assertThat(sidecar.getRestartPolicy()).as("a native sidecar").isEqualTo("Always");
    assertThat(sidecar.getImage()).isEqualTo(Images.built("sidecar").reference());
    assertThat(pod.getSpec().getContainers()).extracting(Container::getName).containsExactly("notifier");
    // The kubelet started it as a sidecar: running, started, before the app.
    assertThat(pod.getStatus().getInitContainerStatuses()).filteredOn(s -> s.getName().equals("lanyard-sidecar"))
        .singleElement().satisfies(status -> {
          assertThat(status.getStarted()).isTrue();
          assertThat(status.getState().getRunning()).isNotNull();
          assertThat(status.getState().getRunning().getStartedAt())
              .isLessThanOrEqualTo(pod.getStatus().getContainerStatuses().get(0).getState()
                  .getRunning().getStartedAt());
        });

    JsonNode identity = adminIdentity(pod, "lanyard-sidecar");

    assertThat(identity.path("spiffe_id").asText()).isEqualTo(
        "spiffe://" + cluster.spire().trustDomain() + "/ns/" + NS + "/sa/notifier");
  }

  @Test
  void thePythonAppReachesTheJvmsServiceOverMtlsThroughItsSidecar() throws IOException {
    awaitReady("jvm");
    awaitReady("python");
    String jvmId = "spiffe://" + cluster.spire().trustDomain() + "/ns/" + NS + "/sa/llm-gateway";
    String pythonId = "spiffe://" + cluster.spire().trustDomain() + "/ns/" + NS + "/sa/notifier";
    adminIdentity(node().client().pods().inNamespace(NS).withName("jvm").get(), "app");
    // Plain HTTP to the Service's two-label name (a mesh destination); urllib takes the
    // HTTP_PROXY the webhook set, so the sidecar originates mTLS to the javaagent's server.
    String script = String.join("\n",
        "import json, urllib.error, urllib.request",
        "body = json.dumps({'messages': [{'role': 'system', 'content': 'Task: classify.'},"
            + " {'role': 'user', 'content': 'Event: failed SSH logins'}]}).encode()",
        "request = urllib.request.Request('http://llm-gateway." + NS + ":443/v1/chat/completions',"
            + " data=body, headers={'Content-Type': 'application/json'})",
        "try:",
        "    answer = urllib.request.urlopen(request, timeout=60)",
        "except urllib.error.HTTPError as refused:",
        "    answer = refused",
        "text = answer.read().decode()",
        "print(json.dumps({'status': answer.status, 'peer': answer.headers.get('X-Lanyard-Peer-Id'),"
            + " 'text': text}))");

    Command.Result call = node().exec(NS, "python", "notifier", "python3", "-c", script);

    assertThat(call.ok()).as("the call from the Python app: %s", call.output()).isTrue();
    JsonNode answer = JSON.readTree(call.output().lines().reduce((a, b) -> b).orElseThrow());
    assertThat(answer.path("status").asInt()).as("the answer %s", answer).isEqualTo(200);
    ((com.fasterxml.jackson.databind.node.ObjectNode) answer).set("body",
        JSON.readTree(answer.path("text").asText()));
    // Both ends name each other as their handshake verified them.
    assertThat(answer.path("peer").asText()).as("X-Lanyard-Peer-Id, the server the sidecar verified")
        .isEqualTo(jvmId);
    assertThat(answer.path("body").path("lanyard_demo").path("caller").asText())
        .as("the caller the JVM's javaagent verified").isEqualTo(pythonId);
    assertThat(answer.path("body").path("lanyard_demo").path("served_by").asText()).isEqualTo(jvmId);
  }

  private static JsonNode adminIdentity(Pod pod, String process) {
    return ChartOnNode.adminIdentity(node(), pod, process, POD_TIMEOUT);
  }

  private static Pod awaitReady(String pod) {
    Pod ready = node().awaitReady(NS, pod, POD_TIMEOUT);
    if (REPORTED_READY.add(pod)) { // the first wait for a pod is the one that measures
      System.err.printf("ChartOnNodeIT: pod %s Ready within %d ms of creation%n", pod,
          (System.nanoTime() - created) / 1_000_000);
    }
    return ready;
  }

  private static KubeNode node() {
    return cluster.node();
  }
}
