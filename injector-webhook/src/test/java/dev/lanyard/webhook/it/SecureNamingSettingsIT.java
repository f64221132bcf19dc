package dev.lanyard.webhook.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.webhook.admission.InjectionEvents;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.TestPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secure-naming settings through a real kube-apiserver: the operator's cluster-wide defaults
 * (the chart's {@code injector.defaults.serverIds}, {@code meshCidrs}, {@code externalHosts}) and a
 * pod's {@code lanyard.dev/server-ids} reach the javaagent's and the sidecar's environment in the
 * pod the apiserver stores, which is what the workload reads at start.
 */
class SecureNamingSettingsIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  private static final String NAMESPACE = "payments";
  private static final String DEFAULT_SERVER_IDS =
      "*.prod.svc.cluster.local=spiffe://lanyard.test/ns/prod/**";
  private static final String MESH_CIDRS = "10.96.0.0/12,10.244.0.0/16";
  private static final String EXTERNAL_HOSTS = "*.amazonaws.com,api.openai.com";
  private static final String POD_SERVER_IDS =
      "ledger.payments.svc=spiffe://lanyard.test/ns/payments/sa/ledger";

  @TempDir static Path directory;

  private static WebhookFixture webhook;

  @BeforeAll
  static void startWebhook() throws Exception {
    InjectorConfig config =
        InjectorConfigLoader.fromYaml(
            "secure naming test",
            """
            version: 0.0.0-test
            javaagent: {image: registry.example/lanyard/javaagent:test}
            sidecar: {image: registry.example/lanyard/sidecar:test}
            defaults:
              serverIds: "%s"
              meshCidrs: "%s"
              externalHosts: "%s"
            """
                .formatted(DEFAULT_SERVER_IDS, MESH_CIDRS, EXTERNAL_HOSTS));
    webhook = new WebhookFixture(kube.server(), directory, config, metrics -> InjectionEvents.NONE);
    webhook.createNamespace(
        NAMESPACE, Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    webhook.awaitInjecting(NAMESPACE);
  }

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  private static Pod create(Pod pod) {
    Pod unnamespaced = new PodBuilder(pod).editMetadata().withNamespace(null).endMetadata().build();
    return kube.client().pods().inNamespace(NAMESPACE).resource(unnamespaced).create();
  }

  private static Pod withServerIds(Pod pod, String serverIds) {
    return new PodBuilder(pod)
        .editMetadata()
        .addToAnnotations(LanyardNames.SERVER_IDS, serverIds)
        .endMetadata()
        .build();
  }

  @Test
  void aJvmPodWithoutAnnotationsGetsTheOperatorsDefaults() {
    Pod pod = create(TestPods.pod("orders", TestPods.container("app", "eclipse-temurin:21")));

    Container app = TestPods.app(pod, "app");
    assertThat(TestPods.env(app, LanyardNames.LANYARD_SERVER_IDS)).contains(DEFAULT_SERVER_IDS);
    assertThat(TestPods.env(app, LanyardNames.LANYARD_MESH_CIDRS)).contains(MESH_CIDRS);
    assertThat(TestPods.env(app, LanyardNames.LANYARD_EXTERNAL_HOSTS)).contains(EXTERNAL_HOSTS);
  }

  @Test
  void aPodsServerIdsAnnotationReplacesTheDefaultForItsJavaagent() {
    Pod pod =
        create(
            withServerIds(
                TestPods.pod("checkout", TestPods.container("app", "eclipse-temurin:21")),
                POD_SERVER_IDS));

    Container app = TestPods.app(pod, "app");
    assertThat(TestPods.env(app, LanyardNames.LANYARD_SERVER_IDS)).contains(POD_SERVER_IDS);
    assertThat(TestPods.env(app, LanyardNames.LANYARD_MESH_CIDRS)).contains(MESH_CIDRS);
  }

  @Test
  void aNonJvmPodsSidecarGetsTheAnnotationAndTheDefaults() {
    Pod pod =
        create(
            withServerIds(
                TestPods.pod("notifier", TestPods.container("api", "python:3.12")),
                POD_SERVER_IDS));

    Container sidecar = TestPods.init(pod, LanyardNames.SIDECAR_CONTAINER).orElseThrow();
    assertThat(TestPods.env(sidecar, LanyardNames.LANYARD_SERVER_IDS)).contains(POD_SERVER_IDS);
    assertThat(TestPods.env(sidecar, LanyardNames.LANYARD_MESH_CIDRS)).contains(MESH_CIDRS);
    assertThat(TestPods.env(sidecar, LanyardNames.LANYARD_EXTERNAL_HOSTS)).contains(EXTERNAL_HOSTS);
  }
}
