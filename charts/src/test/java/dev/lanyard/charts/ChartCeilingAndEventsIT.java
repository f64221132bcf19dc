package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's ceiling and Events against a real kube-apiserver: the real webhook jar runs with the
 * rendered injector configuration (a ceiling set through chart values) and, for Events, as the
 * chart's service account (a token from TokenRequest), bound by the rendered ClusterRole and
 * nothing else.
 */
class ChartCeilingAndEventsIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  private static final String TEAM = "team-c";
  private static final String CEILING = "spiffe://example.org/ns/team-c/**";

  @TempDir static Path directory;

  private static ChartWebhook webhook;

  @BeforeAll
  static void startWebhookAsTheChartsServiceAccount() throws Exception {
    Rendered rendered =
        Helm.template(
            Map.of(
                "injector.ceiling.allowedPeers", CEILING,
                "injector.ceiling.auditNamespaces[0]", "staging"));
    ensureNamespace(Helm.NAMESPACE, Map.of());
    Path rbac =
        Files.writeString(
            directory.resolve("rbac.yaml"),
            rendered.yaml(
                List.of(
                    rendered.one("ServiceAccount"),
                    rendered.one("ClusterRole"),
                    rendered.one("ClusterRoleBinding"))));
    kube.server().kubectl("apply", "-f", rbac.toString()).orThrow();

    webhook =
        ChartWebhook.start(
            rendered, TestPki.create("lanyard-chart-test-ca"), directory, serviceAccountKubeconfig());
    webhook.register(kube.server(), rendered.one("MutatingWebhookConfiguration"));
    ensureNamespace(TEAM, Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    awaitInjecting(TEAM);
  }

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  @Test
  void theWebhookStartsWithTheRenderedCeilingAndRefusesPodsBeyondIt() {
    assertThat(webhook.output())
        .contains("ceiling: peers within [" + CEILING + "], audit mode only in [staging]");

    KubernetesClientException refusal =
        catchThrowableOfType(
            KubernetesClientException.class,
            () ->
                client()
                    .pods()
                    .inNamespace(TEAM)
                    .resource(pod("wide", "spiffe://example.org/**"))
                    .create());
    Pod narrow =
        client()
            .pods()
            .inNamespace(TEAM)
            .resource(pod("narrow", "spiffe://example.org/ns/team-c/sa/api"))
            .create();

    assertThat(refusal).as("a pod allowing the whole trust domain was admitted").isNotNull();
    assertThat(refusal.getCode()).isEqualTo(403);
    assertThat(refusal.getMessage())
        .contains(
            "annotation lanyard.dev/allowed-peers entry \"spiffe://example.org/**\" allows peers"
                + " outside the operator's ceiling [" + CEILING + "]");
    assertThat(narrow.getMetadata().getAnnotations()).containsKey(LanyardNames.STATUS);
  }

  @Test
  void aForgedReviewGetsNoEventWhileARealDeploymentsPodDoes() throws Exception {
    // An attacker's review, posted straight to /mutate: a pod "owned" by a kube-system ReplicaSet.
    byte[] forged = review("forged", ownedPod("coredns-", "coredns-5d78c9869d", "0c1d-forged"));
    assertThat(webhook.post("/mutate", forged).statusCode()).isEqualTo(200);

    // A Deployment's pod, created through the apiserver as the ReplicaSet controller does.
    Deployment deployment = deployment(TEAM, "web");
    ReplicaSet replicaSet = replicaSet(TEAM, "web-5f7d9c", deployment);
    client()
        .pods()
        .inNamespace(TEAM)
        .resource(ownedPod("web-5f7d9c-", "web-5f7d9c", replicaSet.getMetadata().getUid()))
        .create();

    // Events are sent one at a time in order: once the real one is there, the forged one is done.
    Event event = awaitEvent(TEAM, "web");
    assertThat(event.getReason()).isEqualTo("Injected");
    assertThat(event.getInvolvedObject().getKind()).isEqualTo("Deployment");
    assertThat(event.getInvolvedObject().getUid()).isEqualTo(deployment.getMetadata().getUid());
    assertThat(client().v1().events().inNamespace("kube-system").list().getItems())
        .as("Events the webhook wrote in kube-system")
        .noneMatch(e -> "lanyard-webhook".equals(e.getReportingComponent()));
    assertThat(metric("unconfirmed_owner")).isGreaterThanOrEqualTo(1);
    assertThat(webhook.output())
        .contains("no system_namespace Event for pod coredns-*: its owner ReplicaSet"
            + " kube-system/coredns-5d78c9869d is not confirmed by the API server");
  }

  /**
   * A kubeconfig holding a token of the chart's service account (TokenRequest, as the kubelet
   * mounts one in the pod): the webhook gets the rendered ClusterRole's rights and nothing else.
   */
  private static Path serviceAccountKubeconfig() throws IOException {
    String token =
        client()
            .serviceAccounts()
            .inNamespace(Helm.NAMESPACE)
            .withName("lanyard-webhook")
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    String kubeconfig =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster:
            server: %s
            certificate-authority-data: %s
        users:
        - name: lanyard-webhook
          user:
            token: %s
        contexts:
        - name: test
          context: {cluster: test, user: lanyard-webhook, namespace: %s}
        current-context: test
        """
            .formatted(
                kube.server().url(),
                Base64.getEncoder()
                    .encodeToString(kube.server().caPem().getBytes(StandardCharsets.US_ASCII)),
                token,
                Helm.NAMESPACE);
    return Files.writeString(directory.resolve("webhook-kubeconfig"), kubeconfig);
  }

  private static byte[] review(String uid, Pod pod) {
    ObjectNode review = JsonNodeFactory.instance.objectNode();
    review.put("apiVersion", "admission.k8s.io/v1");
    review.put("kind", "AdmissionReview");
    ObjectNode request = review.putObject("request");
    request.put("uid", uid);
    request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
    request.put("namespace", "kube-system");
    request.put("operation", "CREATE");
    request.set("object", Rendered.YAML.valueToTree(pod));
    return review.toString().getBytes(StandardCharsets.UTF_8);
  }

  private double metric(String result) throws Exception {
    Matcher matcher =
        Pattern.compile(
                "lanyard_webhook_events_total\\{result=\"" + result + "\"} ([0-9.eE+]+)")
            .matcher(webhook.get("/metrics"));
    return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
  }

  private static Pod pod(String name, String allowedPeers) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .addToAnnotations(LanyardNames.ALLOWED_PEERS, allowedPeers)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("eclipse-temurin:21-jre")
        .endContainer()
        .endSpec()
        .build();
  }

  private static Pod ownedPod(String generateName, String replicaSet, String uid) {
    return new PodBuilder()
        .withNewMetadata()
        .withGenerateName(generateName)
        .addToLabels("app", "web")
        .addNewOwnerReference()
        .withApiVersion("apps/v1")
        .withKind("ReplicaSet")
        .withName(replicaSet)
        .withUid(uid)
        .withController(true)
        .endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("web")
        .withImage("nginx:1.27")
        .endContainer()
        .endSpec()
        .build();
  }

  private static Deployment deployment(String namespace, String name) {
    return client()
        .apps()
        .deployments()
        .inNamespace(namespace)
        .resource(
            new DeploymentBuilder()
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
                .withName(name)
                .withImage("nginx:1.27")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  private static ReplicaSet replicaSet(String namespace, String name, Deployment owner) {
    return client()
        .apps()
        .replicaSets()
        .inNamespace(namespace)
        .resource(
            new ReplicaSetBuilder()
                .withNewMetadata()
                .withName(name)
                .addNewOwnerReference()
                .withApiVersion("apps/v1")
                .withKind("Deployment")
                .withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid())
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .withNewSpec()
                .withReplicas(0)
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
  }

  private static Event awaitEvent(String namespace, String involvedName) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Event> event =
          client().v1().events().inNamespace(namespace).list().getItems().stream()
              .filter(e -> involvedName.equals(e.getInvolvedObject().getName()))
              .findFirst();
      if (event.isPresent()) {
        return event.get();
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "no Event on " + involvedName + " in " + namespace + " within 30 s; webhook output:\n"
            + webhook.output());
  }

  private static void awaitInjecting(String namespace) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        Pod probe =
            client()
                .pods()
                .inNamespace(namespace)
                .resource(pod("probe", "spiffe://example.org/ns/team-c/sa/probe"))
                .dryRun()
                .create();
        if (probe.getMetadata().getAnnotations() != null
            && probe.getMetadata().getAnnotations().containsKey(LanyardNames.STATUS)) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "pods in " + namespace + " were not injected within 60 s"
            + (last == null ? "" : "; last error: " + last.getMessage()) + "\nwebhook output:\n"
            + webhook.output());
  }

  private static void ensureNamespace(String name, Map<String, String> labels) {
    client()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .build())
        .serverSideApply();
  }

  private static KubernetesClient client() {
    return kube.client();
  }
}
