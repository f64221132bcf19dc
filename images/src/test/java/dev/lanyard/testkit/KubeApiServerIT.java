package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's kube-apiserver is real: objects are stored in etcd and read back. */
class KubeApiServerIT {
  @RegisterExtension
  static final KubeApiServerExtension kube = new KubeApiServerExtension();

  @Test
  void createsANamespaceAndAPodAndReadsThemBack() {
    KubernetesClient client = kube.client();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("testkit")
        .addToLabels("lanyard.dev/inject", "enabled").endMetadata().build()).create();
    client.pods().inNamespace("testkit").resource(new PodBuilder()
        .withNewMetadata().withName("app").endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("eclipse-temurin:21")
        .addNewEnv().withName("GREETING").withValue("hello").endEnv().endContainer().endSpec()
        .build()).create();

    Namespace namespace = client.namespaces().withName("testkit").get();
    Pod pod = client.pods().inNamespace("testkit").withName("app").get();

    assertThat(namespace.getMetadata().getLabels()).containsEntry("lanyard.dev/inject", "enabled");
    assertThat(pod.getMetadata().getUid()).isNotBlank();
    assertThat(pod.getSpec().getContainers().get(0).getEnv().get(0).getValue()).isEqualTo("hello");
  }

  @Test
  void kubectlAndTheKubeconfigReachTheSameServer() {
    Command.Result version = kube.server().kubectl("version", "-o", "json");

    assertThat(version.orThrow()).contains("\"gitVersion\": \"v1.35.4\"");
  }

  @Test
  void serverSideDryRunValidatesWithoutStoring() {
    KubernetesClient client = kube.client();
    Pod pod = new PodBuilder().withNewMetadata().withName("dry").endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("python:3.12").endContainer()
        .endSpec().build();

    client.pods().inNamespace("default").resource(pod).dryRun().create();

    assertThat(client.pods().inNamespace("default").withName("dry").get()).isNull();
  }
}
