package dev.lanyard.bench;

import dev.lanyard.testkit.PrometheusText;
import dev.lanyard.testkit.TestPki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Measurement (a) of {@link WebhookBench}: AdmissionReview POSTs to the running webhook's
 * {@code /mutate} at a fixed rate, open loop, with {@code GET /healthz} at the same rate as the
 * control; the webhook's own histogram, its CPU per admission and its GC pauses beside them.
 */
final class AdmissionLatency {
  private final WebhookBench.Settings settings;
  private final WebhookResults results;
  private final long webhookPid;
  private final Path gcLog;

  AdmissionLatency(WebhookBench.Settings settings, WebhookResults results, long webhookPid,
      Path gcLog) {
    this.settings = settings;
    this.results = results;
    this.webhookPid = webhookPid;
    this.gcLog = gcLog;
  }

  void measure(TestPki pki, int port) throws Exception {
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(pki.trustStore());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, trust.getTrustManagers(), null);
    ExecutorService executor = Executors.newFixedThreadPool(4);
    HttpClient http = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).executor(executor).build();
    URI uri = URI.create("https://127.0.0.1:" + port + "/mutate");
    System.out.println("bench: handler latency, warm-up " + settings.warmupSeconds() + " s at "
        + settings.rate() + " req/s (load " + WebhookBench.load1() + ")");
    openLoop(http, uri, settings.warmupSeconds() - settings.warmupSeconds() / 2);
    // The second half of the warm-up, /mutate alone on kept-alive connections: the webhook's CPU
    // per admission with no TLS handshakes, to compare with its CPU per pod through the apiserver.
    double cpuBefore = Machine.cpuSeconds(webhookPid);
    LatencySamples secondHalf = openLoop(http, uri, settings.warmupSeconds() / 2);
    results.webhookCpuPerAdmissionMs = 1000 * (Machine.cpuSeconds(webhookPid) - cpuBefore)
        / Math.max(1, secondHalf.sent);
    System.out.println("bench: handler latency, measuring " + settings.seconds() + " s (load "
        + WebhookBench.load1() + ")");
    results.loads.add("latency: " + WebhookBench.load1());
    URI metricsUri = URI.create("https://127.0.0.1:" + port + "/metrics");
    PrometheusText.Histogram before = histogram(http, metricsUri);
    int gcLinesBefore = GcLog.lines(gcLog);
    // The control: GET /healthz (no admission work) at the same rate, at the same time, on its
    // own connections: what TLS, HTTP, both JVMs and a shared machine's scheduling cost alone.
    HttpClient controlHttp = HttpClient.newBuilder().sslContext(ssl)
        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .executor(executor).build();
    URI health = URI.create("https://127.0.0.1:" + port + "/healthz");
    CompletableFuture<LatencySamples> control = CompletableFuture.supplyAsync(() -> {
      try {
        return openLoop(controlHttp, () -> HttpRequest.newBuilder(health)
            .timeout(Duration.ofSeconds(10)).build(), body -> true, settings.seconds());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    results.latency = openLoop(http, uri, settings.seconds());
    results.healthLatency = control.get(120, TimeUnit.SECONDS);
    results.gcPauses = GcLog.pauses(gcLog, gcLinesBefore);
    results.serverHistogram = histogram(http, metricsUri).minus(before);
    executor.shutdown();
    System.out.println("bench: p50 " + WebhookReport.ms(results.latency.percentile(50))
        + " ms, p99 " + WebhookReport.ms(results.latency.percentile(99)) + " ms, failures "
        + results.latency.failures.get());
  }

  /** The webhook's own latency histogram, all outcomes summed. */
  private static PrometheusText.Histogram histogram(HttpClient http, URI metrics)
      throws Exception {
    String text = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    return PrometheusText.parse(text).histogram(WebhookReport.SERVER_HISTOGRAM);
  }

  /** Sends {@code rate × seconds} requests on a fixed schedule; latency from the scheduled time. */
  private LatencySamples openLoop(HttpClient http, URI uri, int seconds) throws Exception {
    return openLoop(http, () -> HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(BenchPods.admissionReview(UUID.randomUUID().toString())))
        .build(), body -> body.contains("\"allowed\":true"), seconds);
  }

  private LatencySamples openLoop(HttpClient http, java.util.function.Supplier<HttpRequest> requests,
      java.util.function.Predicate<String> ok, int seconds) throws Exception {
    LatencySamples result = new LatencySamples();
    int total = settings.rate() * seconds;
    long periodNanos = TimeUnit.SECONDS.toNanos(1) / settings.rate();
    List<CompletableFuture<?>> pending = new ArrayList<>(total);
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
    double maxLag = 0;
    for (int i = 0; i < total; i++) {
      long scheduled = start + i * periodNanos;
      for (long now = System.nanoTime(); now < scheduled; now = System.nanoTime()) {
        LockSupport.parkNanos(scheduled - now);
      }
      maxLag = Math.max(maxLag, (System.nanoTime() - scheduled) / 1e6);
      HttpRequest request = requests.get();
      pending.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
          .whenComplete((response, error) -> {
            double micros = (System.nanoTime() - scheduled) / 1e3;
            if (error != null || response.statusCode() != 200 || !ok.test(response.body())) {
              if (result.failures.getAndIncrement() == 0) {
                result.firstFailure = error != null ? error.toString()
                    : response.statusCode() + " " + response.body();
              }
            } else {
              if (response.body().contains("\"patch\"")) {
                result.patched.incrementAndGet();
              }
              result.micros.add(micros);
            }
          }));
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
        .exceptionally(e -> null).get(60, TimeUnit.SECONDS);
    result.sent = total;
    result.sendLagMaxMs = maxLag;
    result.elapsedSeconds = (System.nanoTime() - start) / 1e9;
    return result;
  }
}
