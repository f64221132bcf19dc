package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.testkit.OpenLoop;
import dev.lanyard.testkit.PrometheusText;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 point 12: the webhook under load and failure against the real kube-apiserver, registered
 * by the chart's own rendered MutatingWebhookConfiguration (so failurePolicy, namespaceSelector and
 * exclusions are the chart's), the real webhook jar behind it with the chart's injector
 * configuration and the chart's JVM (its memory limit and {@code JAVA_TOOL_OPTIONS}, as rendered).
 *
 * <ul>
 *   <li>50 pod creations per second, open loop, in a labelled namespace: every one is created
 *       and reads back injected; the achieved rate and the p99 admission latency (client-observed,
 *       the webhook's own histogram and the apiserver's) are printed, not asserted: speed is
 *       measured in bench/ ({@code bench/webhook.sh}, pods per second with and without the webhook).
 *   <li>All the while pods are also created in kube-system and in the webhook's own namespace,
 *       both labelled {@code lanyard.dev/inject=enabled} on purpose: the webhook's admission count
 *       grows by exactly the labelled namespace's creations (it never saw the others) and those
 *       pods are uninjected.
 *   <li>The webhook stopped: with the chart's default failurePolicy (Fail) a labelled namespace
 *       refuses pods naming the webhook, while kube-system still creates them; with the chart
 *       rendered with {@code admission.failurePolicy=Ignore} the pod is created uninjected.
 * </ul>
 *
 * <p>Short by default ({@value #SHORT_SECONDS} s of load, for {@code make test}); {@code
 * -Dlanyard.webhookLoad.seconds=N}, or {@code LANYARD_SOAK=1} in the environment (60 s, for
 * {@code make soak}), makes it longer.
 */
class WebhookLoadIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  @TempDir static Path directory;

  static final int SHORT_SECONDS = 12;
  static final int SOAK_SECONDS = 60;
  private static final double RATE = 50;
  private static final int CREATORS = 8;
  private static final String LOADED = "load-injected";
  private static final String KUBE_SYSTEM = "kube-system";
  private static final String SYSTEM_LABEL = "webhook-load-it";
  private static final String ADMISSIONS = "lanyard_webhook_admissions_total";
  private static final String WEBHOOK_LATENCY = "lanyard_webhook_admission_duration_seconds";
  private static final String APISERVER_LATENCY =
      "apiserver_admission_webhook_admission_duration_seconds";

  private static ChartWebhook webhook;

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  static int loadSeconds() {
    String configured = System.getProperty("lanyard.webhookLoad.seconds", "");
    if (!configured.isBlank()) {
      return Integer.parseInt(configured.trim());
    }
    String soak = System.getenv("LANYARD_SOAK");
    return soak != null && !soak.isBlank() && !soak.equals("0") ? SOAK_SECONDS : SHORT_SECONDS;
  }

  @Test
  void fiftyPodsPerSecondAreInjectedSystemNamespacesAreNeverSentAndAStoppedWebhookFollowsTheFailurePolicy()
      throws Exception {
    long testStart = System.nanoTime();
    int seconds = loadSeconds();
    Rendered rendered = Helm.template(Map.of());
    JsonNode admission = rendered.admissionWebhook();
    String webhookName = admission.path("name").asText();
    assertThat(admission.path("failurePolicy").asText()).as("the chart's default").isEqualTo("Fail");
    long timeoutSeconds = admission.path("timeoutSeconds").asLong();

    TestPki pki = TestPki.create("lanyard-webhook-load-ca");
    // The JVM the chart's container gets: its memory limit and its JAVA_TOOL_OPTIONS, as rendered.
    List<String> jvmOptions = rendered.webhookJvmOptions();
    assertThat(jvmOptions).contains("-XX:MaxRAM=384m", "-XX:+UseSerialGC");
    webhook = ChartWebhook.start(rendered, pki, directory, jvmOptions.toArray(String[]::new));
    webhook.register(kube.server(), rendered.one("MutatingWebhookConfiguration"));
    Map<String, String> enabled = Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED);
    ensureNamespace(LOADED, enabled);
    ensureNamespace(Helm.NAMESPACE, enabled);
    ensureNamespace(KUBE_SYSTEM, enabled);
    awaitInjectedDryRun(LOADED);

    // Quiet: pods in the excluded namespaces alone do not reach the webhook at all.
    double quietBefore = admissions();
    List<String> quietPods = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      for (String namespace : List.of(KUBE_SYSTEM, Helm.NAMESPACE)) {
        quietPods.add(namespace + "/" + client().resource(systemPod()).inNamespace(namespace)
            .create().getMetadata().getName());
      }
    }
    assertThat(admissions()).as("admissions after 10 pods in kube-system and %s alone",
        Helm.NAMESPACE).isEqualTo(quietBefore);

    // Load: 50 pods/s in the labelled namespace while the excluded namespaces get pods too.
    PrometheusText before = PrometheusText.parse(webhook.get("/metrics"));
    PrometheusText apiBefore = apiserverMetrics();
    AtomicBoolean loading = new AtomicBoolean(true);
    AtomicInteger systemCreated = new AtomicInteger();
    List<String> systemFailures = new ArrayList<>();
    Thread systemCreator = new Thread(() -> {
      int i = 0;
      while (loading.get()) {
        String namespace = i++ % 2 == 0 ? KUBE_SYSTEM : Helm.NAMESPACE;
        try {
          client().resource(systemPod()).inNamespace(namespace).create();
          systemCreated.incrementAndGet();
        } catch (RuntimeException e) {
          synchronized (systemFailures) {
            systemFailures.add(namespace + ": " + e.getMessage());
          }
        }
        sleepMillis(200);
      }
    }, "system-namespace-creator");
    Pod template = appPod();
    systemCreator.start();
    OpenLoop.Result load;
    try {
      load = OpenLoop.run(RATE, Duration.ofSeconds(seconds), CREATORS,
          i -> client().resource(template).inNamespace(LOADED).create());
    } finally {
      loading.set(false);
      systemCreator.join(30_000);
    }
    PrometheusText after = PrometheusText.parse(webhook.get("/metrics"));
    PrometheusText apiAfter = apiserverMetrics();

    double admitted = after.sum(ADMISSIONS) - before.sum(ADMISSIONS);
    PrometheusText.Histogram own = after.histogram(WEBHOOK_LATENCY)
        .minus(before.histogram(WEBHOOK_LATENCY));
    PrometheusText.Histogram seenByApiserver = apiAfter.histogram(APISERVER_LATENCY,
        labels -> webhookName.equals(labels.get("name"))).minus(apiBefore.histogram(
            APISERVER_LATENCY, labels -> webhookName.equals(labels.get("name"))));

    List<Pod> loaded = client().pods().inNamespace(LOADED).list().getItems();
    long injected = loaded.stream().filter(WebhookLoadIT::isInjected).count();
    List<Pod> system = new ArrayList<>();
    for (String namespace : List.of(KUBE_SYSTEM, Helm.NAMESPACE)) {
      system.addAll(client().pods().inNamespace(namespace).withLabel(SYSTEM_LABEL).list()
          .getItems());
    }
    long systemInjected = system.stream().filter(WebhookLoadIT::isInjected).count();

    System.out.printf(Locale.ROOT,
        "WebhookLoadIT: %d s at %.0f pods/s (%d creators, open loop): %d scheduled, %d created,"
            + " %d failed, achieved %.1f pods/s, max start lag %.0f ms; create latency (client)"
            + " p50 %.1f ms, p99 %.1f ms, max %.1f ms; webhook histogram: %.0f admissions,"
            + " p50 %.2f ms, p99 %.2f ms (bucket %s), %.1f%% within 5 ms; apiserver's webhook"
            + " histogram: %.0f calls, p99 %.1f ms (bucket %s); read back injected %d of %d;"
            + " kube-system and %s: %d + 10 pods created during and before the load, %d"
            + " injected, webhook admissions during the load %.0f = labelled creations %d%n",
        seconds, RATE, CREATORS, load.scheduled(), load.succeeded(), load.failed(),
        load.achievedRate(), load.maxStartLagMillis(), load.percentileMillis(50),
        load.percentileMillis(99), load.percentileMillis(100), own.count(),
        own.quantile(0.5) * 1000, own.quantile(0.99) * 1000, own.quantileBucketMillis(0.99),
        100 * own.shareWithin(0.005), seenByApiserver.count(),
        seenByApiserver.quantile(0.99) * 1000, seenByApiserver.quantileBucketMillis(0.99),
        injected, loaded.size(), Helm.NAMESPACE, systemCreated.get(), systemInjected, admitted,
        load.succeeded());

    // Behaviour, not speed: every scheduled pod admitted and injected (the rate is printed
    // above and measured side by side in bench/, WebhookBench's pods per second).
    assertThat(load.failed()).as("failed creations: %s", load.failures()).isZero();
    assertThat(load.succeeded()).as("created of the scheduled").isEqualTo(load.scheduled());
    assertThat(load.percentileMillis(100)).as("slowest creation, ms")
        .isLessThan(timeoutSeconds * 1000.0);
    assertThat(loaded).hasSize(load.succeeded());
    assertThat(injected).as("pods read back injected").isEqualTo(loaded.size());
    assertThat(systemFailures).isEmpty();
    assertThat(systemCreated.get()).as("pods created in kube-system and %s during the load",
        Helm.NAMESPACE).isPositive();
    assertThat(system).hasSize(systemCreated.get() + quietPods.size());
    assertThat(systemInjected).as("pods in kube-system and %s injected", Helm.NAMESPACE).isZero();
    assertThat(admitted)
        .as("the webhook's admissions during the load: exactly the labelled namespace's pods, so"
            + " none of the %d in kube-system and %s", systemCreated.get(), Helm.NAMESPACE)
        .isEqualTo((double) load.succeeded());
    assertThat(own.count()).isEqualTo(admitted);
    assertThat(seenByApiserver.count()).as("the apiserver's calls to %s", webhookName)
        .isEqualTo(admitted);

    // The webhook stopped, the chart's failurePolicy Fail: refused, naming the webhook.
    long stopping = System.nanoTime();
    webhook.stop();
    long stopped = System.nanoTime();
    String refusal = refusal(LOADED);
    double stopSeconds = (stopped - stopping) / 1e9;
    double refusedAfter = (System.nanoTime() - stopped) / 1e9;
    assertThat(refusal).contains("failed calling webhook \"" + webhookName + "\"");
    Pod systemWhileDown = client().resource(systemPod()).inNamespace(KUBE_SYSTEM).create();
    assertThat(isInjected(systemWhileDown)).isFalse();

    // The chart rendered with failurePolicy Ignore, the webhook still down: created uninjected.
    Rendered ignoring = Helm.template(Map.of("admission.failurePolicy", "Ignore"));
    assertThat(ignoring.admissionWebhook().path("failurePolicy").asText()).isEqualTo("Ignore");
    webhook.register(kube.server(), ignoring.one("MutatingWebhookConfiguration"));
    double ignoredAfter = awaitAccepted(LOADED);
    Pod uninjected = client().resource(appPod()).inNamespace(LOADED).create();
    assertThat(isInjected(uninjected)).isFalse();
    assertThat(uninjected.getSpec().getInitContainers()).isEmpty();

    System.out.printf(Locale.ROOT,
        "WebhookLoadIT: webhook stopped (process gone after %.1f s): the next pod (failurePolicy"
            + " Fail) refused in %.2f s: \"%s\"; kube-system still created; failurePolicy Ignore"
            + " (re-rendered) created uninjected %.1f s after the apply; whole test %.0f s%n",
        stopSeconds, refusedAfter, message(refusal), ignoredAfter,
        (System.nanoTime() - testStart) / 1e9);
  }

  /** The Status message of a fabric8 error, without the request line and the Status dump. */
  private static String message(String error) {
    String text = error.replaceAll("\\s+", " ");
    int start = text.indexOf("Message: ");
    int end = text.indexOf(". Received status");
    return start >= 0 && end > start ? text.substring(start + 9, end) : text;
  }

  private static boolean isInjected(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations != null && annotations.containsKey(LanyardNames.STATUS);
  }

  private static double admissions() throws Exception {
    return PrometheusText.parse(webhook.get("/metrics")).sum(ADMISSIONS);
  }

  private static PrometheusText apiserverMetrics() {
    return PrometheusText.parse(kube.server().kubectl("get", "--raw", "/metrics").orThrow());
  }

  /** A JVM container and a non-JVM one: the webhook adds the javaagent and the sidecar. */
  private static Pod appPod() {
    return new PodBuilder()
        .withNewMetadata().withGenerateName("orders-").addToLabels("app", "orders").endMetadata()
        .withNewSpec()
        .addNewContainer().withName("app").withImage("eclipse-temurin:21-jre").endContainer()
        .addNewContainer().withName("notifier").withImage("python:3.13-slim").endContainer()
        .endSpec()
        .build();
  }

  private static Pod systemPod() {
    return new PodBuilder(appPod()).editMetadata().withGenerateName("system-")
        .addToLabels(SYSTEM_LABEL, "true").endMetadata().build();
  }

  private static void awaitInjectedDryRun(String namespace) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (isInjected(client().resource(appPod()).inNamespace(namespace).dryRun().create())) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      sleepMillis(250);
    }
    throw new AssertionError("a pod in " + namespace + " was not injected within 60 s"
        + (last == null ? "" : "; last error: " + last.getMessage()) + "\nwebhook output:\n"
        + webhook.output());
  }

  /**
   * One pod creation, which must be refused; returns the refusal. A client without retries: the
   * refusal is an HTTP 500, which fabric8 would otherwise retry with backoff for about 20 s.
   */
  private static String refusal(String namespace) {
    Config config = kube.server().adminConfig();
    config.setRequestRetryBackoffLimit(0);
    try (KubernetesClient noRetries = new KubernetesClientBuilder().withConfig(config).build()) {
      Pod admitted = noRetries.resource(appPod()).inNamespace(namespace).create();
      throw new AssertionError("pod " + admitted.getMetadata().getName() + " was admitted ("
          + (isInjected(admitted) ? "injected" : "uninjected") + ") in " + namespace
          + " with failurePolicy Fail and the webhook stopped");
    } catch (KubernetesClientException e) {
      return e.getMessage();
    }
  }

  /** Dry-run creations until one is accepted (the apiserver reloads configurations lazily). */
  private static double awaitAccepted(String namespace) {
    long start = System.nanoTime();
    long deadline = start + Duration.ofSeconds(60).toNanos();
    KubernetesClientException last = null;
    while (System.nanoTime() < deadline) {
      try {
        Pod pod = client().resource(appPod()).inNamespace(namespace).dryRun().create();
        assertThat(isInjected(pod)).isFalse();
        return (System.nanoTime() - start) / 1e9;
      } catch (KubernetesClientException e) {
        last = e;
      }
      sleepMillis(250);
    }
    throw new AssertionError("pod creation in " + namespace + " still refused after 60 s: "
        + (last == null ? "" : last.getMessage()));
  }

  private static void ensureNamespace(String name, Map<String, String> labels) {
    client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .withLabels(labels).endMetadata().build()).serverSideApply();
  }

  private static KubernetesClient client() {
    return kube.client();
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
