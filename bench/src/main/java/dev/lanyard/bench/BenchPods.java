package dev.lanyard.bench;

import dev.lanyard.testkit.TestPki;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the webhook benchmarks put into the apiserver: the two namespaces (labelled for injection
 * and not), the MutatingWebhookConfiguration, the realistic pod they create and its AdmissionReview,
 * the pre-injected variant, and the clean-up between rounds. Shared by {@link WebhookBench} and
 * {@link PodVariants}.
 */
final class BenchPods {
  static final String INJECTED_NS = "bench-injected";
  static final String PLAIN_NS = "bench-plain";
  static final String STATUS = "lanyard.dev/status";

  private BenchPods() {}

  /** An AdmissionReview v1 CREATE of {@link #realisticPod()} in a labelled namespace. */
  static String admissionReview(String uid) {
    Pod pod = realisticPod();
    pod.getMetadata().setNamespace("shop");
    return "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        + "\"uid\":\"" + uid + "\","
        + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        + "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
        + "\"requestKind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        + "\"requestResource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
        + "\"namespace\":\"shop\",\"operation\":\"CREATE\","
        + "\"userInfo\":{\"username\":\"system:serviceaccount:kube-system:replicaset-controller\","
        + "\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"]},"
        + "\"object\":" + Serialization.asJson(pod) + ",\"oldObject\":null,\"dryRun\":false,"
        + "\"options\":{\"apiVersion\":\"meta.k8s.io/v1\",\"kind\":\"CreateOptions\"}}}";
  }

  /**
   * A pod as a Deployment's ReplicaSet creates it: a Spring Boot container (an existing
   * {@code JAVA_TOOL_OPTIONS}, probes, resources, a volume) and a non-JVM log shipper, so the
   * webhook adds both the javaagent and the sidecar.
   */
  static Pod realisticPod() {
    return new PodBuilder()
        .withNewMetadata().withGenerateName("orders-7d9f8b6c5d-")
        .withLabels(Map.of("app", "orders", "pod-template-hash", "7d9f8b6c5d", "tier", "backend"))
        .withAnnotations(Map.of("lanyard.dev/allowed-peers", "spiffe://example.org/ns/shop/sa/web",
            "prometheus.io/scrape", "true", "prometheus.io/port", "8081"))
        .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet")
        .withName("orders-7d9f8b6c5d").withUid("4f5b2a8e-2b0e-4d1c-9a63-0d3c1f0b7a21")
        .withController(true).withBlockOwnerDeletion(true).endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName("orders")
        .withNewSecurityContext().withRunAsNonRoot(true).withFsGroup(1000L).endSecurityContext()
        .addNewContainer().withName("orders")
        .withImage("registry.example.org/shop/orders-spring:3.2.4")
        .addNewPort().withName("http").withContainerPort(8080).endPort()
        .addNewPort().withName("management").withContainerPort(8081).endPort()
        .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue("-XX:MaxRAMPercentage=75").endEnv()
        .addNewEnv().withName("SPRING_PROFILES_ACTIVE").withValue("prod").endEnv()
        .addNewEnv().withName("DB_PASSWORD").withNewValueFrom().withNewSecretKeyRef()
        .withName("orders-db").withKey("password").endSecretKeyRef().endValueFrom().endEnv()
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("768Mi")))
        .withLimits(Map.of("memory", new Quantity("1Gi"))).endResources()
        .withNewReadinessProbe().withNewHttpGet().withPath("/actuator/health/readiness")
        .withNewPort("management").endHttpGet().withPeriodSeconds(5).endReadinessProbe()
        .withNewLivenessProbe().withNewHttpGet().withPath("/actuator/health/liveness")
        .withNewPort("management").endHttpGet().withPeriodSeconds(10).endLivenessProbe()
        .addNewVolumeMount().withName("config").withMountPath("/config").withReadOnly(true)
        .endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .withNewSecurityContext().withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true).withNewCapabilities().withDrop("ALL").endCapabilities()
        .endSecurityContext()
        .endContainer()
        .addNewContainer().withName("log-shipper").withImage("fluent/fluent-bit:3.0")
        .withArgs("-c", "/fluent-bit/etc/fluent-bit.conf")
        .withNewResources().withRequests(Map.of("cpu", new Quantity("50m"),
            "memory", new Quantity("64Mi"))).endResources()
        .addNewVolumeMount().withName("tmp").withMountPath("/var/log/app").endVolumeMount()
        .endContainer()
        .addNewVolume().withName("config").withNewConfigMap().withName("orders-config")
        .endConfigMap().endVolume()
        .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
        .withTerminationGracePeriodSeconds(30L)
        .endSpec()
        .build();
  }

  /** Both namespaces and the MutatingWebhookConfiguration by URL; waits until it is in force. */
  static void register(KubernetesClient client, TestPki pki, int port) throws InterruptedException {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(INJECTED_NS)
        .withLabels(Map.of("lanyard.dev/inject", "enabled")).endMetadata().build()).create();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(PLAIN_NS)
        .endMetadata().build()).create();
    client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(
        new MutatingWebhookConfigurationBuilder()
            .withNewMetadata().withName("lanyard-webhook").endMetadata()
            .addNewWebhook().withName("inject.lanyard.dev")
            .withNewClientConfig().withUrl("https://127.0.0.1:" + port + "/mutate")
            .withCaBundle(Base64.getEncoder().encodeToString(
                pki.caPem().getBytes(StandardCharsets.US_ASCII)))
            .endClientConfig()
            .addNewRule().withOperations("CREATE").withApiGroups("").withApiVersions("v1")
            .withResources("pods").withScope("Namespaced").endRule()
            .withNewNamespaceSelector().withMatchLabels(Map.of("lanyard.dev/inject", "enabled"))
            .endNamespaceSelector()
            .withSideEffects("NoneOnDryRun").withAdmissionReviewVersions("v1")
            .withFailurePolicy("Fail").withReinvocationPolicy("IfNeeded").withTimeoutSeconds(5)
            .endWebhook().build()).create();
    awaitInjection(client);
  }

  /** A pod as the webhook returned it, stripped of what the apiserver assigns. */
  static Pod preInjectedTemplate(KubernetesClient client) {
    Pod injected = client.pods().inNamespace(INJECTED_NS).resource(realisticPod()).dryRun()
        .create();
    if (injected.getMetadata().getAnnotations() == null
        || !injected.getMetadata().getAnnotations().containsKey(STATUS)) {
      throw new IllegalStateException("the dry-run pod came back uninjected");
    }
    return new PodBuilder(injected).editMetadata().withName(null).withNamespace(null)
        .withUid(null).withResourceVersion(null).withCreationTimestamp(null)
        .withManagedFields(List.of()).endMetadata().withStatus(null).build();
  }

  /** Dry-run creations until the apiserver calls the webhook (it picks up the config lazily). */
  static void awaitInjection(KubernetesClient client) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        Pod probe = client.pods().inNamespace(INJECTED_NS).resource(realisticPod()).dryRun()
            .create();
        if (probe.getMetadata().getAnnotations().containsKey(STATUS)) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("the apiserver never called the webhook"
        + (last == null ? "" : ": " + last.getMessage()));
  }

  /** Deletes every pod of both namespaces (no kubelet: unscheduled pods go at once). */
  static void deleteAll(KubernetesClient client) throws InterruptedException {
    for (String namespace : List.of(INJECTED_NS, PLAIN_NS)) {
      client.pods().inNamespace(namespace).withGracePeriod(0).delete();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      int left = 0;
      for (String namespace : List.of(INJECTED_NS, PLAIN_NS)) {
        left += client.pods().inNamespace(namespace).list().getItems().size();
      }
      if (left == 0) {
        return;
      }
      Thread.sleep(200);
    }
  }
}
