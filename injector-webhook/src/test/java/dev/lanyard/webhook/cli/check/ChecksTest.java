package dev.lanyard.webhook.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.TestPki;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each check of {@code lanyard check}, both outcomes, as the lines a user reads. */
class ChecksTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

  @Test
  void kubernetes129AndLaterPassOlderFailsWithTheUpgrade() {
    assertThat(KubernetesVersionCheck.check("1", "35", "v1.35.4").render())
        .isEqualTo("✔ Kubernetes v1.35.4 (native sidecars need 1.29+)");
    assertThat(KubernetesVersionCheck.check("1", "29+", "v1.29.0-eks-1").ok()).isTrue();
    assertThat(KubernetesVersionCheck.check("1", "28+", "v1.28.9-gke.1").render())
        .isEqualTo(
            "✖ Kubernetes v1.28.9-gke.1: native sidecars need 1.29+ (the injected sidecar is an"
                + " init container with restartPolicy Always)\n"
                + "    fix: upgrade the control plane and nodes to Kubernetes 1.29 or later");
    assertThat(KubernetesVersionCheck.check("one", "x", "").reason())
        .isEqualTo("the API server reports major \"one\", minor \"x\", not numbers");
  }

  @Test
  void theCsiDriverMustBeRegistered() {
    assertThat(SocketCheck.csi("csi.spiffe.io", List.of("csi.spiffe.io", "ebs.csi.aws.com")).render())
        .isEqualTo("✔ CSI driver csi.spiffe.io is registered (CSIDriver object)");
    CheckResult missing = SocketCheck.csi("csi.spiffe.io", List.of("ebs.csi.aws.com"));
    assertThat(missing.ok()).isFalse();
    assertThat(missing.reason())
        .isEqualTo("no CSIDriver object named csi.spiffe.io (registered: ebs.csi.aws.com)");
    assertThat(missing.fix()).contains("spiffe-csi-driver").contains("injector.socket.type=hostPath");
  }

  @Test
  void inHostPathModeADaemonSetMustServeTheSocketDirectoryOnEveryNode() {
    var agent =
        new SocketCheck.DaemonSetFacts(
            "spire", "spire-agent", List.of("/run/spire/agent-sockets", "/proc"), 3, 3);
    var parentMount = new SocketCheck.DaemonSetFacts("spire", "agent", List.of("/run/spire/"), 2, 2);
    var unrelated = new SocketCheck.DaemonSetFacts("kube-system", "proxy", List.of("/run/spire-x"), 3, 3);
    var notReady =
        new SocketCheck.DaemonSetFacts("spire", "spire-agent", List.of("/run/spire/agent-sockets"), 3, 1);

    assertThat(SocketCheck.hostPath("/run/spire/agent-sockets", List.of(unrelated, agent)).render())
        .isEqualTo(
            "✔ SPIRE Agent socket directory /run/spire/agent-sockets is served on every node by"
                + " DaemonSet spire/spire-agent (3/3 ready)");
    assertThat(SocketCheck.hostPath("/run/spire/agent-sockets", List.of(parentMount)).ok()).isTrue();
    assertThat(SocketCheck.hostPath("/run/spire/agent-sockets", List.of(unrelated)).render())
        .isEqualTo(
            "✖ SPIRE Agent socket directory /run/spire/agent-sockets: no DaemonSet mounts hostPath"
                + " /run/spire/agent-sockets (the SPIRE Agent serves its socket there)\n"
                + "    fix: deploy the SPIRE Agent as a DaemonSet with its socket directory on"
                + " hostPath /run/spire/agent-sockets, or set injector.socket.hostPath to the"
                + " directory your agents use");
    CheckResult halfReady = SocketCheck.hostPath("/run/spire/agent-sockets", List.of(notReady));
    assertThat(halfReady.reason()).isEqualTo("DaemonSet spire/spire-agent has 1 of 3 pods ready");
    assertThat(halfReady.fix()).isEqualTo("kubectl -n spire describe daemonset spire-agent");
  }

  @Test
  void eachLabelledNamespaceAndItsPodsNeedAClusterSpiffeId() throws Exception {
    JsonNode lanyardNamespaces =
        JSON.readTree(
            "{\"matchLabels\":{\"lanyard.dev/inject\":\"enabled\"},\"matchExpressions\":"
                + "[{\"key\":\"kubernetes.io/metadata.name\",\"operator\":\"NotIn\","
                + "\"values\":[\"lanyard-system\"]}]}");
    JsonNode onlyApps =
        JSON.readTree(
            "{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\"}]}");
    var chart = new ClusterSpiffeIdCheck.ClusterSpiffeId("lanyard-lanyard-system", lanyardNamespaces, null);
    var narrow = new ClusterSpiffeIdCheck.ClusterSpiffeId("apps-only", lanyardNamespaces, onlyApps);
    Map<String, String> labels = Map.of("lanyard.dev/inject", "enabled", "kubernetes.io/metadata.name", "shop");
    var shop =
        new ClusterSpiffeIdCheck.LabelledNamespace(
            "shop",
            labels,
            List.of(
                new ClusterSpiffeIdCheck.PodLabels("web-1", Map.of("app", "web")),
                new ClusterSpiffeIdCheck.PodLabels("debug", Map.of())));

    assertThat(ClusterSpiffeIdCheck.check(List.of(shop), List.of(chart), "lanyard.dev/inject=enabled"))
        .extracting(CheckResult::render)
        .containsExactly(
            "✔ ClusterSPIFFEID for namespace shop: lanyard-lanyard-system selects it and its 2"
                + " pod(s)");
    CheckResult podMissed =
        ClusterSpiffeIdCheck.check(List.of(shop), List.of(narrow), "l=v").get(0);
    assertThat(podMissed.reason()).isEqualTo("pods debug match no podSelector of apps-only");
    CheckResult none = ClusterSpiffeIdCheck.check(List.of(shop), List.of(), "l=v").get(0);
    assertThat(none.render())
        .isEqualTo(
            "✖ ClusterSPIFFEID for namespace shop: no ClusterSPIFFEID's namespaceSelector selects"
                + " namespace shop (there is none)\n"
                + "    fix: install the chart with clusterSPIFFEID.enabled=true, or create a"
                + " ClusterSPIFFEID whose namespaceSelector matches the namespace's labels");
    var excluded =
        new ClusterSpiffeIdCheck.LabelledNamespace(
            "lanyard-system",
            Map.of("lanyard.dev/inject", "enabled", "kubernetes.io/metadata.name", "lanyard-system"),
            List.of());
    assertThat(ClusterSpiffeIdCheck.check(List.of(excluded), List.of(chart), "l=v").get(0).reason())
        .isEqualTo(
            "no ClusterSPIFFEID's namespaceSelector selects namespace lanyard-system (of"
                + " lanyard-lanyard-system)");
    assertThat(ClusterSpiffeIdCheck.check(List.of(), List.of(), "lanyard.dev/inject=enabled"))
        .extracting(CheckResult::ok)
        .containsExactly(true);
    assertThat(ClusterSpiffeIdCheck.crdMissing().reason())
        .isEqualTo("the API server has no clusterspiffeids.spire.spiffe.io resource");
  }

  @Test
  void labelSelectorsFollowKubernetes() throws Exception {
    JsonNode selector =
        JSON.readTree(
            "{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":["
                + "{\"key\":\"b\",\"operator\":\"In\",\"values\":[\"x\",\"y\"]},"
                + "{\"key\":\"c\",\"operator\":\"DoesNotExist\"}]}");

    assertThat(LabelSelectorMatch.matches(selector, Map.of("a", "1", "b", "y"))).isTrue();
    assertThat(LabelSelectorMatch.matches(selector, Map.of("a", "1", "b", "z"))).isFalse();
    assertThat(LabelSelectorMatch.matches(selector, Map.of("a", "1", "b", "x", "c", ""))).isFalse();
    assertThat(LabelSelectorMatch.matches(selector, Map.of("b", "x"))).isFalse();
    assertThat(LabelSelectorMatch.matches(JSON.missingNode(), Map.of())).isTrue();
  }

  @Test
  void theWebhookDeploymentMustBeReady() {
    assertThat(WebhookChecks.deployment("lanyard-system", "lanyard-webhook", 2, 2).render())
        .isEqualTo("✔ webhook Deployment lanyard-system/lanyard-webhook is ready (2/2)");
    assertThat(WebhookChecks.deployment("lanyard-system", "lanyard-webhook", 2, null).render())
        .isEqualTo(
            "✖ webhook Deployment lanyard-system/lanyard-webhook: 0 of 2 replicas ready\n"
                + "    fix: kubectl -n lanyard-system describe deployment lanyard-webhook;"
                + " kubectl -n lanyard-system logs deployment/lanyard-webhook");
    assertThat(WebhookChecks.deployment("lanyard-system", "lanyard-webhook", null, null).reason())
        .isEqualTo("not found");
  }

  @Test
  void theApiServerMustGetAnInjectedDryRunPodBack() {
    assertThat(WebhookChecks.admission("shop", "lanyard-system", "lanyard-webhook", true, null).render())
        .isEqualTo(
            "✔ webhook reachable from the API server (Service lanyard-system/lanyard-webhook): a"
                + " dry-run pod in shop came back injected");
    CheckResult refused =
        WebhookChecks.admission(
            "shop",
            "lanyard-system",
            "lanyard-webhook",
            false,
            "Internal error occurred: failed calling webhook \"inject.lanyard.dev\": no endpoints");
    assertThat(refused.reason())
        .isEqualTo(
            "a dry-run pod in namespace shop was refused: Internal error occurred: failed calling"
                + " webhook \"inject.lanyard.dev\": no endpoints");
    assertThat(refused.fix())
        .contains("Service lanyard-system/lanyard-webhook has ready endpoints")
        .contains("kubectl -n lanyard-system logs deployment/lanyard-webhook");
    assertThat(WebhookChecks.admission("shop", "ns", "w", false, null).reason())
        .isEqualTo("a dry-run pod in namespace shop came back without lanyard.dev/status");
    assertThat(WebhookChecks.admissionWithoutNamespace("lanyard.dev/inject", "enabled").render())
        .isEqualTo(
            "✖ webhook reachable from the API server: no namespace is labelled"
                + " lanyard.dev/inject=enabled, so no pod is sent to it\n"
                + "    fix: kubectl label namespace <your-namespace> lanyard.dev/inject=enabled");
  }

  @Test
  void theCaBundleMustBeValidAndNotNearExpiry() {
    TestPki pki = TestPki.create("lanyard-webhook-ca");
    byte[] pem = pki.caPem().getBytes(StandardCharsets.US_ASCII);
    Instant notBefore = pki.caCertificate().getNotBefore().toInstant();
    Instant notAfter = pki.caCertificate().getNotAfter().toInstant();
    String where = "MutatingWebhookConfiguration lanyard, webhook inject.lanyard.dev";

    CheckResult fresh =
        CaBundleCheck.check(where, pem, notAfter.minus(Duration.ofHours(2)), Duration.ofHours(1));
    assertThat(fresh.ok()).as(fresh.render()).isTrue();
    assertThat(fresh.render()).startsWith("✔ caBundle of " + where + ": ").endsWith("valid until " + notAfter + " (2h)");

    CheckResult soon =
        CaBundleCheck.check(where, pem, notAfter.minus(Duration.ofMinutes(30)), Duration.ofHours(1));
    assertThat(soon.render())
        .contains("expires at " + notAfter + ", in 30m (less than 1h)")
        .contains("fix: renew the webhook's CA");
    assertThat(CaBundleCheck.check(where, pem, notAfter.plusSeconds(1), Duration.ofDays(30)).reason())
        .endsWith("expired at " + notAfter);
    assertThat(CaBundleCheck.check(where, pem, notBefore.minusSeconds(1), Duration.ofDays(30)).reason())
        .endsWith("is not valid before " + notBefore);
    assertThat(CaBundleCheck.check(where, new byte[0], NOW, Duration.ofDays(30)).reason())
        .isEqualTo("empty: the API server cannot verify the webhook");
    assertThat(CaBundleCheck.check(where, "not a certificate".getBytes(StandardCharsets.US_ASCII), NOW, Duration.ofDays(30)).ok())
        .isFalse();
  }

  @Test
  void anSvidMustBeHeldWithMoreThanAThirdOfItsLifetimeLeft() throws Exception {
    // One hour SVIDs issued at 09:30 and 09:55: rotation is due at half, so the 09:30 one should
    // have been replaced by 10:00; at 10:00 it has 30 minutes (a half) left, at 10:15 a quarter.
    JsonNode fresh = identity("2026-12-07T09:55:00Z", "2026-12-07T10:55:00Z", null);
    JsonNode due = identity("2026-12-07T09:30:00Z", "2026-12-07T10:30:00Z", null);
    JsonNode overdue =
        identity("2026-12-07T09:30:00Z", "2026-12-07T10:30:00Z", "UNAVAILABLE: agent socket gone");
    JsonNode none = JSON.readTree("{\"last_error\":\"PERMISSION_DENIED: no identity issued\"}");
    String process = "pod/web-1 container app";

    assertThat(SvidCheck.check(process, fresh, null, NOW).render())
        .isEqualTo("✔ SVID of pod/web-1 container app: spiffe://td/ns/shop/sa/web, valid for 55m");
    assertThat(SvidCheck.check(process, due, null, NOW).ok()).isTrue();
    assertThat(SvidCheck.check(process, overdue, null, NOW.plus(Duration.ofMinutes(15))).reason())
        .isEqualTo(
            "spiffe://td/ns/shop/sa/web expires at 2026-12-07T10:30:00Z, in 15m, less than a third"
                + " of its 1h lifetime: rotation, due at half of it, is failing (last error:"
                + " UNAVAILABLE: agent socket gone)");
    assertThat(SvidCheck.check(process, overdue, null, Instant.parse("2026-12-07T11:00:00Z")).reason())
        .startsWith("spiffe://td/ns/shop/sa/web expired at 2026-12-07T10:30:00Z");
    assertThat(SvidCheck.check(process, none, null, NOW).render())
        .isEqualTo(
            "✖ SVID of pod/web-1 container app: no SVID yet (last error: PERMISSION_DENIED: no"
                + " identity issued)\n"
                + "    fix: check that SPIRE registers the pod (lanyard check: ClusterSPIFFEID) and"
                + " that the SPIRE Agent on its node is healthy");
    CheckResult unreachable = SvidCheck.check(process, null, "pod is Pending", NOW);
    assertThat(unreachable.reason()).isEqualTo("pod is Pending");
    assertThat(unreachable.fix()).startsWith("kubectl describe pod/web-1 and its logs");
  }

  private static JsonNode identity(String notBefore, String notAfter, String lastError)
      throws Exception {
    return JSON.readTree(
        "{\"spiffe_id\":\"spiffe://td/ns/shop/sa/web\",\"not_before\":\"" + notBefore
            + "\",\"not_after\":\"" + notAfter + "\",\"last_error\":"
            + (lastError == null ? "null" : "\"" + lastError + "\"") + "}");
  }

  @Test
  void aPodInjectedByAnotherVersionIsSkewed() {
    assertThat(VersionSkewCheck.check("pod/web-1", "0.2.0", "0.2.0").render())
        .isEqualTo("✔ version of pod/web-1: 0.2.0, as the webhook");
    assertThat(VersionSkewCheck.check("pod/web-1", "0.1.0", "0.2.0").render())
        .isEqualTo(
            "✖ version of pod/web-1: injected by Lanyard 0.1.0, the webhook is 0.2.0\n"
                + "    fix: restart its workload (kubectl rollout restart deployment/<name>) to"
                + " inject 0.2.0");
    assertThat(VersionSkewCheck.check("pod/web-1", null, "0.2.0").ok()).isFalse();
  }
}
