package dev.lanyard.bench;

import dev.lanyard.testkit.PrometheusText;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Fixed figures of one webhook bench run, for the report writer's test. */
final class WebhookReportFixture {
  static final Instant STARTED = Instant.parse("2026-12-07T09:30:00.123Z");

  private WebhookReportFixture() {}

  /** One run's results, every figure fixed. */
  static WebhookResults results() {
    WebhookResults results = new WebhookResults();
    results.started = STARTED;
    results.loads.addAll(List.of("latency: 1.50", "round 1: 2.00", "round 2: 2.25"));
    results.loadStart = new double[] {1.0, 1.25, 1.5};
    results.loadEnd = new double[] {2.0, 2.25, 2.5};
    results.jarSha = "0123456789abcdef";
    results.webhookCommand = "java -jar $TMP/snapshot/lanyard-webhook.jar --port 1";
    results.latency = latency(900, 1200, 1500, 2100, 4800);
    results.healthLatency = latency(400, 500, 600);
    results.webhookCpuPerAdmissionMs = 0.625;
    results.serverHistogram = histogram();
    results.gcPauses = gcPauses();
    results.withPerSecond.addAll(List.of(40.5, 42.25));
    results.withoutPerSecond.addAll(List.of(50.0, 48.0));
    results.preInjectedPerSecond.addAll(List.of(45.0, 44.5));
    results.roundOrder.addAll(List.of("with webhook, without, pre-injected, no webhook",
        "without, pre-injected, no webhook, with webhook"));
    results.injectedChecked = 20;
    results.injectedFound = 20;
    results.creationErrors = 0;
    results.cpu.put(WebhookBench.Side.WITH, cpu(2));
    results.cpu.put(WebhookBench.Side.WITHOUT, cpu(1));
    results.cpu.put(WebhookBench.Side.PRE_INJECTED, cpu(1.5));
    for (WebhookBench.Side side : WebhookBench.Side.values()) {
      results.podsCreated.put(side, 20);
    }
    return results;
  }

  static WebhookBench.Settings settings() {
    return WebhookBench.Settings.parse(new String[] {"--rounds", "2", "--pods", "10"});
  }

  static LatencySamples latency(double... micros) {
    LatencySamples latency = new LatencySamples();
    for (double sample : micros) {
      latency.micros.add(sample);
    }
    latency.patched.set(micros.length - 1);
    latency.failures.set(1);
    latency.firstFailure = "500 boom\nsecond line";
    latency.sent = micros.length + 1;
    latency.sendLagMaxMs = 0.75;
    latency.elapsedSeconds = 2.5;
    return latency;
  }

  static PrometheusText.Histogram histogram() {
    return PrometheusText.parse(String.join("\n",
        "# TYPE lanyard_webhook_admission_duration_seconds histogram",
        "lanyard_webhook_admission_duration_seconds_bucket{le=\"0.0005\"} 3",
        "lanyard_webhook_admission_duration_seconds_bucket{le=\"0.001\"} 40",
        "lanyard_webhook_admission_duration_seconds_bucket{le=\"0.005\"} 95",
        "lanyard_webhook_admission_duration_seconds_bucket{le=\"+Inf\"} 100",
        "lanyard_webhook_admission_duration_seconds_count 100",
        "lanyard_webhook_admission_duration_seconds_sum 0.2", ""))
        .histogram("lanyard_webhook_admission_duration_seconds");
  }

  static List<GcLog.Pause> gcPauses() {
    return List.of(new GcLog.Pause("Pause Young", 2.25), new GcLog.Pause("Pause Young", 1.5));
  }

  static Map<String, Double> cpu(double scale) {
    Map<String, Double> cpu = new LinkedHashMap<>();
    cpu.put("etcd", 1.25 * scale);
    cpu.put("kube-apiserver", 3.5 * scale);
    cpu.put("webhook", 0.75 * scale);
    cpu.put("load generator (this JVM)", 0.5 * scale);
    return cpu;
  }
}
