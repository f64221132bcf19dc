package dev.lanyard.webhook.it;

import dev.lanyard.testkit.KubeApiServer;
import dev.lanyard.webhook.admission.AdmissionHandler;
import dev.lanyard.webhook.admission.InjectionEvents;
import dev.lanyard.webhook.admission.WebhookMetrics;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.server.ServingCertificates;
import dev.lanyard.webhook.server.WebhookServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.Function;

/**
 * The webhook in-process on 127.0.0.1 with a test CA, registered with a real kube-apiserver as a
 * MutatingWebhookConfiguration by URL, the way the chart registers it by Service.
 */
final class WebhookFixture implements AutoCloseable {
  static final String CONFIGURATION = "lanyard-webhook";
  static final String WEBHOOK = "inject.lanyard.dev";

  private final KubeApiServer api;
  private final ServingCertificates certificates;
  private final Function<WebhookMetrics, InjectionEvents> events;
  private final InjectorConfig config;
  private final WebhookMetrics metrics = new WebhookMetrics();
  private WebhookServer server;
  private int port;

  WebhookFixture(
      KubeApiServer api,
      Path directory,
      InjectorConfig config,
      Function<WebhookMetrics, InjectionEvents> events)
      throws Exception {
    this.api = api;
    this.certificates = new ServingCertificates(directory);
    this.config = config;
    this.events = events;
    start(0);
    register("Fail");
  }

  KubernetesClient client() {
    return api.adminClient();
  }

  WebhookMetrics metrics() {
    return metrics;
  }

  void start(int onPort) throws Exception {
    AdmissionHandler handler =
        new AdmissionHandler(new PodInjector(config), metrics, events.apply(metrics));
    server =
        new WebhookServer(
                new WebhookServer.Settings(
                    "127.0.0.1",
                    onPort,
                    certificates.certificate(),
                    certificates.key(),
                    Duration.ofSeconds(10),
                    Duration.ZERO,
                    Duration.ofSeconds(5)),
                handler,
                metrics)
            .start();
    port = server.port();
  }

  /**
   * POSTs {@code body} to {@code /mutate} directly, as any pod that reaches the webhook's port can:
   * nothing here comes from the apiserver.
   */
  java.net.http.HttpResponse<String> postDirectly(byte[] body) throws Exception {
    return certificates
        .client()
        .send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("https://127.0.0.1:" + port + "/mutate"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(10))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  /** Stops the webhook; the registration stays, pointing at a closed port. */
  void stop() {
    server.close();
  }

  void restart() throws Exception {
    start(port);
  }

  /**
   * Creates or replaces the MutatingWebhookConfiguration, then waits until the apiserver calls it.
   */
  void register(String failurePolicy) {
    MutatingWebhookConfiguration configuration =
        new MutatingWebhookConfigurationBuilder()
            .withNewMetadata()
            .withName(CONFIGURATION)
            .endMetadata()
            .addNewWebhook()
            .withName(WEBHOOK)
            .withNewClientConfig()
            .withUrl("https://127.0.0.1:" + port + "/mutate")
            .withCaBundle(
                Base64.getEncoder()
                    .encodeToString(certificates.caPem().getBytes(StandardCharsets.US_ASCII)))
            .endClientConfig()
            .addNewRule()
            .withOperations("CREATE")
            .withApiGroups("")
            .withApiVersions("v1")
            .withResources("pods")
            .withScope("Namespaced")
            .endRule()
            .withNewNamespaceSelector()
            .withMatchLabels(Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED))
            .endNamespaceSelector()
            .withSideEffects("NoneOnDryRun")
            .withAdmissionReviewVersions("v1")
            .withFailurePolicy(failurePolicy)
            .withReinvocationPolicy("IfNeeded")
            .withTimeoutSeconds(5)
            .endWebhook()
            .build();
    client()
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .resource(configuration)
        .serverSideApply();
  }

  /**
   * Waits until the apiserver's view of the webhook configuration has the given failure policy in
   * force.
   */
  void awaitInjecting(String namespace) {
    awaitPod(
        namespace,
        pod ->
            pod.getMetadata().getAnnotations() != null
                && pod.getMetadata().getAnnotations().containsKey(LanyardNames.STATUS),
        "injected by the webhook");
  }

  /**
   * Polls a dry-run pod creation until {@code condition} holds (the apiserver picks up webhook
   * changes asynchronously).
   */
  Pod awaitPod(String namespace, java.util.function.Predicate<Pod> condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        Pod probe = client().pods().inNamespace(namespace).resource(probePod()).dryRun().create();
        if (condition.test(probe)) {
          return probe;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      sleep(250);
    }
    throw new AssertionError(
        "a dry-run pod in namespace "
            + namespace
            + " was not "
            + what
            + " within 30 s"
            + (last == null ? "" : "; last error: " + last.getMessage()));
  }

  /** Waits until pod creation in {@code namespace} fails, and returns the error. */
  RuntimeException awaitRefusal(String namespace) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        client().pods().inNamespace(namespace).resource(probePod()).dryRun().create();
      } catch (RuntimeException e) {
        return e;
      }
      sleep(250);
    }
    throw new AssertionError("pod creation in " + namespace + " was still accepted after 30 s");
  }

  static Pod probePod() {
    return new PodBuilder()
        .withNewMetadata()
        .withGenerateName("probe-")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("eclipse-temurin:21")
        .endContainer()
        .endSpec()
        .build();
  }

  void createNamespace(String name, Map<String, String> labels) {
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
