package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.SpireOnNode;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.Wait;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chart's and the demo's ClusterSPIFFEIDs on a real node with SPIRE as clusters run it: the
 * real spire-controller-manager turns them into entries, the node's SPIRE Agent attests pods with
 * its {@code k8s} attestor against the kubelet, and a real pod fetches its SVID through the
 * chart's hostPath socket directory with SPIRE's own client ({@code spire-agent api fetch x509},
 * the binary mounted by hostPath into a pod of the Debian JRE base image, which has its glibc).
 */
class ClusterSpiffeIdOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster =
      new KubeNodeExtension().withSpire(SpireOptions.builder().build());

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final String INJECTED = "lanyard.dev/inject=enabled";
  private static final String CLIENT = "/opt/spire/spire-agent";

  @BeforeAll
  static void chartsClusterSpiffeIdApplied() {
    KubeNode node = cluster.node();
    node.importImage(Images.require("jre17"));
    Rendered rendered = Helm.template(Map.of("clusterSPIFFEID.enabled", "true"));
    apply(rendered.yaml(List.of(rendered.one("ClusterSPIFFEID"))));
  }

  @Test
  void aPodInAnInjectedNamespaceGetsTheIdOfTheChartsTemplateFromK8sSelectors() {
    String ns = namespace("csid-chart", INJECTED);
    Pod pod = startFetcher(ns, "orders", Map.of());
    String expected = "spiffe://" + spire().trustDomain() + "/ns/" + ns + "/sa/orders";

    String fetched = awaitSvid(ns, "fetcher");

    assertThat(fetched).contains("SPIFFE ID:\t\t" + expected);
    assertThat(spire().entriesOfPod(pod.getMetadata().getUid())).singleElement().satisfies(entry -> {
      assertThat(entry.spiffeId()).isEqualTo(expected);
      assertThat(entry.parentId()).isEqualTo(spire().nodeAliasId());
      assertThat(entry.selectors()).allMatch(selector -> selector.startsWith("k8s:"));
    });
    // What the agent's k8s attestor found for the fetching process: the kubelet's view of the pod.
    assertThat(spire().attestedSelectors(pod.getMetadata().getUid()))
        .contains("k8s:ns:" + ns, "k8s:sa:orders", "k8s:pod-name:fetcher", "k8s:container-name:fetcher",
            "k8s:node-name:" + KubeNode.NODE_NAME)
        .allMatch(selector -> selector.startsWith("k8s:"));
  }

  @Test
  void thePodsOfTheDemosClusterSpiffeIdGetTheirNamespaceAndServiceAccountId() {
    String ns = namespace("csid-demo", INJECTED);
    apply(read(Path.of("..", "demo-apps", "k8s", "clusterspiffeid.yaml")));
    Pod pod = startFetcher(ns, "classifier", Map.of("app.kubernetes.io/part-of", "lanyard-demo"));

    String fetched = awaitSvid(ns, "fetcher");

    assertThat(fetched).contains("SPIFFE ID:\t\tspiffe://" + spire().trustDomain() + "/ns/" + ns
        + "/sa/classifier");
    assertThat(spire().entriesOfPod(pod.getMetadata().getUid())).isNotEmpty()
        .allSatisfy(entry -> assertThat(entry.selectors()).allMatch(s -> s.startsWith("k8s:")));
  }

  @Test
  void aPodNoClusterSpiffeIdMatchesIsDeniedUntilOneIsAppliedThenServedWithoutRestart() {
    String ns = namespace("csid-late", null); // not labelled: the chart's ClusterSPIFFEID skips it
    Pod pod = startFetcher(ns, "late", Map.of());

    Command.Result denied = fetch(ns, "fetcher");

    assertThat(denied.ok()).as("fetch without a matching ClusterSPIFFEID: %s", denied.output()).isFalse();
    assertThat(denied.output()).contains("PermissionDenied").contains("no identity issued");
    assertThat(spire().entriesOfPod(pod.getMetadata().getUid())).isEmpty();

    apply("""
        apiVersion: spire.spiffe.io/v1alpha1
        kind: ClusterSPIFFEID
        metadata:
          name: csid-late
        spec:
          spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/late/{{ .PodMeta.Namespace }}/{{ .PodSpec.ServiceAccountName }}"
          namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: %s
        """.formatted(ns));
    String fetched = awaitSvid(ns, "fetcher");

    assertThat(fetched).contains("SPIFFE ID:\t\tspiffe://" + spire().trustDomain() + "/late/" + ns + "/late");
    Pod after = cluster.client().pods().inNamespace(ns).withName("fetcher").get();
    assertThat(after.getMetadata().getUid()).isEqualTo(pod.getMetadata().getUid());
    assertThat(after.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
  }

  @Test
  void deletingAPodRemovesItsEntryAndLeavesTheOthers() {
    String ns = namespace("csid-gone", INJECTED);
    Pod leaving = startFetcher(ns, "leaving", Map.of(), "leaving");
    Pod staying = startFetcher(ns, "staying", Map.of(), "staying");
    Wait.until("entries of both pods", TIMEOUT, () ->
        !spire().entriesOfPod(leaving.getMetadata().getUid()).isEmpty()
            && !spire().entriesOfPod(staying.getMetadata().getUid()).isEmpty());

    cluster.client().pods().inNamespace(ns).withName("leaving").delete();

    Wait.until("the entry of the deleted pod removed", TIMEOUT,
        () -> spire().entriesOfPod(leaving.getMetadata().getUid()).isEmpty());
    assertThat(spire().entriesOfPod(staying.getMetadata().getUid())).singleElement()
        .satisfies(entry -> assertThat(entry.spiffeId()).endsWith("/ns/" + ns + "/sa/staying"));
  }

  private static SpireOnNode spire() {
    return cluster.spire();
  }

  /** Creates a namespace (with {@code label} key=value unless null) and returns its name. */
  private static String namespace(String name, String label) {
    cluster.node().createNamespace(name);
    if (label != null) {
      cluster.node().kubectl("label", "namespace", name, label).orThrow();
    }
    return name;
  }

  private static Pod startFetcher(String ns, String serviceAccount, Map<String, String> labels) {
    return startFetcher(ns, serviceAccount, labels, "fetcher");
  }

  /**
   * A pod that sleeps as {@code serviceAccount}, with the chart's socket directory and SPIRE's
   * client mounted by hostPath; returns it once Ready.
   */
  private static Pod startFetcher(String ns, String serviceAccount, Map<String, String> labels, String name) {
    if (cluster.client().serviceAccounts().inNamespace(ns).withName(serviceAccount).get() == null) {
      cluster.node().kubectl("-n", ns, "create", "serviceaccount", serviceAccount).orThrow();
    }
    StringBuilder labelYaml = new StringBuilder("{");
    labels.forEach((key, value) -> labelYaml.append(key).append(": ").append(value).append(", "));
    labelYaml.append("test: ").append(name).append('}');
    cluster.client().resourceList("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
          labels: %s
        spec:
          serviceAccountName: %s
          terminationGracePeriodSeconds: 1
          containers:
            - name: fetcher
              image: %s
              imagePullPolicy: IfNotPresent
              command: [sleep, "3600"]
              securityContext: {allowPrivilegeEscalation: false}
              volumeMounts:
                - {name: spire-agent-socket, mountPath: %s, readOnly: true}
                - {name: spire-agent-client, mountPath: %s, readOnly: true}
          volumes:
            - name: spire-agent-socket
              hostPath: {path: %s, type: Directory}
            - name: spire-agent-client
              hostPath: {path: %s, type: File}
        """.formatted(name, labelYaml, serviceAccount, Images.require("jre17").reference(),
        SpireOnNode.SOCKET_DIRECTORY, CLIENT, SpireOnNode.SOCKET_DIRECTORY,
        spire().agentBinary())).inNamespace(ns).create();
    AtomicReference<Pod> ready = new AtomicReference<>();
    Wait.until("pod " + ns + "/" + name + " Ready", TIMEOUT, () -> {
      Pod pod = cluster.client().pods().inNamespace(ns).withName(name).get();
      ready.set(pod);
      return pod != null && pod.getStatus() != null && pod.getStatus().getConditions() != null
          && pod.getStatus().getConditions().stream()
              .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    });
    return ready.get();
  }

  /** {@code spire-agent api fetch x509} inside the pod, through the hostPath socket. */
  private static Command.Result fetch(String ns, String pod) {
    return cluster.node().kubectl(Duration.ofSeconds(30), "-n", ns, "exec", pod, "--", CLIENT,
        "api", "fetch", "x509", "-socketPath", SpireOnNode.SOCKET_DIRECTORY + "/" + SpireOnNode.SOCKET_FILE,
        "-timeout", "5s");
  }

  /** Fetches until the pod gets an SVID (the controller manager and the agent's sync take seconds). */
  private static String awaitSvid(String ns, String pod) {
    AtomicReference<Command.Result> last = new AtomicReference<>();
    try {
      Wait.until("an X.509-SVID in pod " + ns + "/" + pod, TIMEOUT, () -> {
        last.set(fetch(ns, pod));
        return last.get().ok() && last.get().output().contains("SPIFFE ID:");
      });
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + "; last fetch: "
          + (last.get() == null ? "none" : last.get().output()), e);
    }
    return last.get().output();
  }

  private static void apply(String yaml) {
    try {
      Path file = Files.createTempFile("csid-", ".yaml");
      try {
        Files.writeString(file, yaml);
        cluster.node().kubectl("apply", "-f", file.toString()).orThrow();
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
