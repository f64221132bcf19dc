package dev.lanyard.webhook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.webhook.admission.InjectionEvents;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.TestPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's ceiling through a real kube-apiserver: pods are created as users create them, and
 * the apiserver relays the webhook's refusal (403 and its reason) or stores the injected pod.
 */
class CeilingIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  private static final String TEAM = "team";
  private static final String LAB = "lab";
  private static final String CEILING =
      "spiffe://lanyard.test/ns/team/**,spiffe://lanyard.test/ns/platform/sa/gateway";

  @TempDir static Path directory;

  private static WebhookFixture webhook;

  @BeforeAll
  static void startWebhook() throws Exception {
    InjectorConfig config =
        InjectorConfigLoader.fromYaml(
            "ceiling test",
            """
            version: 0.0.0-test
            javaagent: {image: registry.example/lanyard/javaagent:test}
            sidecar: {image: registry.example/lanyard/sidecar:test}
            ceiling:
              allowedPeers: "%s"
              auditNamespaces: [lab]
            """
                .formatted(CEILING));
    webhook = new WebhookFixture(kube.server(), directory, config, metrics -> InjectionEvents.NONE);
    Map<String, String> enabled = Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED);
    webhook.createNamespace(TEAM, enabled);
    webhook.createNamespace(LAB, enabled);
    webhook.awaitInjecting(TEAM);
    webhook.awaitInjecting(LAB);
  }

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  private static KubernetesClient client() {
    return kube.client();
  }

  @Test
  void aPodWideningBeyondTheCeilingIsRefusedWithThePatternAndTheCeiling() {
    KubernetesClientException refusal =
        refusal(TEAM, annotated("wide", "spiffe://lanyard.test/ns/team/*,spiffe://lanyard.test/**"));

    assertThat(refusal.getCode()).isEqualTo(403);
    assertThat(refusal.getMessage())
        .contains("admission webhook \"inject.lanyard.dev\" denied the request")
        .contains(
            "lanyard: pod wide refused: annotation lanyard.dev/allowed-peers entry"
                + " \"spiffe://lanyard.test/**\" allows peers outside the operator's ceiling"
                + " [spiffe://lanyard.test/ns/team/**, spiffe://lanyard.test/ns/platform/sa/gateway]");
    assertThat(client().pods().inNamespace(TEAM).withName("wide").get()).isNull();
  }

  @Test
  void aPodNarrowingTheCeilingIsAdmittedAndInjectedWithItsOwnPeers() {
    Pod pod =
        client()
            .pods()
            .inNamespace(TEAM)
            .resource(annotated("narrow", "spiffe://lanyard.test/ns/team/sa/web"))
            .create();

    assertThat(pod.getMetadata().getAnnotations()).containsKey(LanyardNames.STATUS);
    assertThat(TestPods.env(pod.getSpec().getContainers().get(0), "LANYARD_ALLOWED_PEERS"))
        .contains("spiffe://lanyard.test/ns/team/sa/web");
  }

  @Test
  void aPodWithoutAnAnnotationRunsWithTheCeilingNotItsWholeTrustDomain() {
    Pod pod =
        client()
            .pods()
            .inNamespace(TEAM)
            .resource(
                new PodBuilder(TestPods.pod("plain", TestPods.container("app", "eclipse-temurin:21")))
                    .editMetadata()
                    .withNamespace(null)
                    .endMetadata()
                    .build())
            .create();

    assertThat(TestPods.env(pod.getSpec().getContainers().get(0), "LANYARD_ALLOWED_PEERS"))
        .contains(CEILING);
  }

  @Test
  void auditIsRefusedUnlessTheOperatorEnabledItInThatNamespace() {
    KubernetesClientException refusal =
        refusal(TEAM, annotated("audited", "audit,spiffe://lanyard.test/ns/team/*"));
    Pod inLab =
        client()
            .pods()
            .inNamespace(LAB)
            .resource(annotated("audited", "audit,spiffe://lanyard.test/ns/team/*"))
            .create();

    assertThat(refusal.getCode()).isEqualTo(403);
    assertThat(refusal.getMessage())
        .contains("annotation lanyard.dev/allowed-peers has \"audit\"")
        .contains("not enabled in namespace team");
    assertThat(inLab.getMetadata().getAnnotations()).containsKey(LanyardNames.STATUS);
  }

  @Test
  void aPatternTheWorkloadWouldRefuseIsRefusedInTheWorkloadsWords() {
    KubernetesClientException refusal =
        refusal(
            TEAM,
            annotated("starred", "spiffe://lanyard.test/ns/team/*,spiffe://lanyard.test/a*b"));

    assertThat(refusal.getCode()).isEqualTo(403);
    assertThat(refusal.getMessage())
        .contains(
            "lanyard: pod starred refused: annotation lanyard.dev/allowed-peers: allowed peer"
                + " \"spiffe://lanyard.test/a*b\" in LANYARD_ALLOWED_PEERS is not a SPIFFE ID"
                + " pattern: a wildcard may only be the whole last segment (/* for one segment, /**"
                + " for any depth)")
        .contains("the workload would refuse to start with it");
    assertThat(client().pods().inNamespace(TEAM).withName("starred").get()).isNull();
  }

  @Test
  void aContainersOwnVariableCannotWidenItEither() {
    Container own =
        new ContainerBuilder(TestPods.container("app", "eclipse-temurin:21"))
            .addNewEnv()
            .withName("LANYARD_ALLOWED_PEERS")
            .withValue("spiffe://lanyard.test/**")
            .endEnv()
            .build();

    KubernetesClientException refusal = refusal(TEAM, TestPods.pod("own-env", own));

    assertThat(refusal.getCode()).isEqualTo(403);
    assertThat(refusal.getMessage())
        .contains("container app env LANYARD_ALLOWED_PEERS entry \"spiffe://lanyard.test/**\"");
  }

  private static Pod annotated(String name, String allowedPeers) {
    return new PodBuilder(TestPods.pod(name, TestPods.container("app", "eclipse-temurin:21")))
        .editMetadata()
        .withNamespace(null)
        .addToAnnotations(LanyardNames.ALLOWED_PEERS, allowedPeers)
        .endMetadata()
        .build();
  }

  private static KubernetesClientException refusal(String namespace, Pod pod) {
    Pod unnamespaced = new PodBuilder(pod).editMetadata().withNamespace(null).endMetadata().build();
    KubernetesClientException refusal =
        catchThrowableOfType(
            KubernetesClientException.class,
            () -> client().pods().inNamespace(namespace).resource(unnamespaced).create());
    assertThat(refusal).as("pod %s was admitted", pod.getMetadata().getName()).isNotNull();
    return refusal;
  }
}
