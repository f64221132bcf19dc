package dev.lanyard.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.KubeApiServer;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.PrometheusText;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.TestPki;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The admission webhook benchmarks (issue 4), against a real kube-apiserver (testkit's
 * {@link KubeApiServer}) and the real webhook jar ({@code java -jar lanyard-webhook.jar}):
 *
 * <ol>
 *   <li><b>Handler latency</b>: AdmissionReview POSTs of a realistic pod over HTTPS to
 *       {@code /mutate} at a fixed rate, open loop (a request is sent at its scheduled time whether
 *       or not earlier ones have come back), latency counted from the scheduled send time to the
 *       whole response, so a stalled server is not hidden by a stalled client (coordinated
 *       omission). Target: p99 at most 5 ms.
 *   <li><b>Pods created per second</b> through the apiserver with the MutatingWebhookConfiguration
 *       registered (a namespace labelled {@code lanyard.dev/inject=enabled}, {@code failurePolicy:
 *       Fail}) versus without (an unlabelled namespace, the webhook is not called), in interleaved
 *       rounds, quoted as the median of round-by-round ratios. Target: at least 0.8.
 * </ol>
 *
 * <p>Run from the repository root by {@code bench/webhook.sh}; writes
 * {@code bench/results/webhook-<date>.md} and {@code .json}.
 */
public final class WebhookBench {
  static final double P99_TARGET_MS = 5.0;
  /**
   * The webhook JVM as the chart's container gets it: {@code JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75}
   * under a 384 MiB memory limit ({@code webhook.resources.limits.memory}). MaxRAM stands in for the
   * cgroup limit, and SerialGC is what the JVM's ergonomics pick there (less than 1792 MiB), which
   * MaxRAM alone does not reproduce. Run as a plain {@code java -jar} on this machine instead, the
   * JVM took G1 with a heap starting at a few MiB: about 50 MiB of retained data kept it above
   * G1's marking threshold, so every other young pause started a concurrent cycle, and the remark
   * pauses (12-16 ms) and stretched young pauses (up to 117 ms under load) landed in the tail;
   * SerialGC here: one 2-2.5 ms young pause every 1.3 s at 50 req/s.
   */
  static final List<String> CHART_JVM_ARGS =
      List.of("-XX:MaxRAM=384m", "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC");
  static final double RATIO_TARGET = 0.8;
  private static final Path BUILT_JAR =
      Path.of("injector-webhook/target/lanyard-webhook.jar").toAbsolutePath();

  record Settings(String command, int rate, int seconds, int warmupSeconds, int rounds, int pods,
      int warmupPods, int creators, Path out, boolean variants, boolean latencyOnly,
      List<String> webhookJvmArgs) {
    static Settings parse(String[] args) {
      String command = "bench/webhook.sh";
      int rate = 50;
      int seconds = 20;
      int warmup = 10;
      int rounds = 4;
      int pods = 100;
      int warmupPods = -1;
      int creators = 4;
      Path out = Path.of("bench/results");
      boolean variants = false;
      boolean latencyOnly = false;
      List<String> jvmArgs = CHART_JVM_ARGS;
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--command" -> command = value;
          case "--rate" -> rate = Integer.parseInt(value);
          case "--seconds" -> seconds = Integer.parseInt(value);
          case "--warmup-seconds" -> warmup = Integer.parseInt(value);
          case "--rounds" -> rounds = Integer.parseInt(value);
          case "--pods" -> pods = Integer.parseInt(value);
          case "--warmup-pods" -> warmupPods = Integer.parseInt(value);
          case "--creators" -> creators = Integer.parseInt(value);
          case "--out" -> out = Path.of(value);
          case "--variants" -> {
            variants = true;
            i--;
          }
          case "--latency-only" -> {
            latencyOnly = true;
            i--;
          }
          case "--webhook-jvm-args" -> jvmArgs = value.isBlank() ? List.of()
              : List.of(value.trim().split("\\s+"));
          default -> throw new IllegalArgumentException("unknown argument " + args[i]
              + " (knobs: --rate N --seconds N --warmup-seconds N --rounds N --pods N"
              + " --warmup-pods N --creators N --out DIR --variants --latency-only"
              + " --webhook-jvm-args '...')");
        }
        i++;
      }
      // Every JVM in the path (webhook, load generator) must be past its JIT warm-up before the
      // rounds count, or compilation CPU is charged to whichever side runs first.
      warmupPods = warmupPods < 0 ? 3 * pods : warmupPods;
      return new Settings(command, rate, seconds, warmup, rounds, pods, warmupPods, creators, out,
          variants, latencyOnly, jvmArgs);
    }
  }

  /** Latency samples of one open-loop run. */
  static final class Latency {
    final List<Double> micros = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger failures = new AtomicInteger();
    final AtomicInteger patched = new AtomicInteger();
    volatile String firstFailure = "";
    int sent;
    double sendLagMaxMs;
    double elapsedSeconds;
  }

  private final Settings settings;
  private final TempDir work = TempDir.create("lanyard-bench-webhook-");
  private final Instant started = Instant.now();
  private final List<String> loads = new ArrayList<>();
  private double[] loadStart;
  private double[] loadEnd;
  private String jarSha = "";
  private String webhookCommand = "";
  private Latency latency;
  private Latency healthLatency;
  private double webhookCpuPerAdmissionMs;
  private PrometheusText.Histogram serverHistogram;
  private Path gcLog;
  private List<GcLog.Pause> gcPauses = List.of();
  private final List<Double> withPerSecond = new ArrayList<>();
  private final List<Double> withoutPerSecond = new ArrayList<>();
  private final List<Double> preInjectedPerSecond = new ArrayList<>();
  private final List<String> roundOrder = new ArrayList<>();
  private int injectedChecked;
  private int injectedFound;
  private int creationErrors;
  private long webhookPid = -1;
  /** CPU seconds spent per process during the measured rounds, with and without the webhook. */
  private final Map<Side, Map<String, Double>> cpu = new EnumMap<>(Side.class);
  private final Map<Side, Integer> podsCreated = new EnumMap<>(Side.class);

  /**
   * The three ways a pod is created in each round. PRE_INJECTED is the webhook's output created
   * where no webhook is called: it splits the cost of injection into the webhook call itself
   * (WITH versus PRE_INJECTED) and the bigger pod the apiserver then stores (PRE_INJECTED versus
   * WITHOUT).
   */
  enum Side {
    WITH("with webhook"),
    WITHOUT("without"),
    PRE_INJECTED("pre-injected, no webhook");

    final String label;

    Side(String label) {
      this.label = label;
    }
  }

  private WebhookBench(Settings settings) {
    this.settings = settings;
  }

  public static void main(String[] args) throws Exception {
    WebhookBench bench = new WebhookBench(Settings.parse(args));
    try {
      Path written = bench.run();
      if (written != null) {
        System.out.println("bench: wrote " + written
            + (bench.settings.variants() ? "" : " and its .json"));
      }
    } finally {
      bench.work.close();
    }
    System.exit(0);
  }

  private Path run() throws Exception {
    loadStart = Machine.loadAverage();
    Path jar = Files.copy(BUILT_JAR, work.dir("snapshot").resolve("lanyard-webhook.jar"));
    jarSha = Machine.sha256(jar);

    TestPki pki = TestPki.create("lanyard-bench-webhook-ca");
    TestPki.Issued serving = pki.server("webhook", List.of("localhost"), List.of("127.0.0.1"));
    Path tls = work.dir("tls");
    Path cert = Files.writeString(tls.resolve("tls.crt"), serving.certificatePem());
    Path key = Files.writeString(tls.resolve("tls.key"), serving.keyPem());

    System.out.println("bench: starting etcd and kube-apiserver");
    try (KubeApiServer api = KubeApiServer.start()) {
      int port = FreePorts.next();
      gcLog = work.path().resolve("webhook-gc.log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(settings.webhookJvmArgs());
      command.addAll(List.of("-Xlog:gc:file=" + gcLog, "-jar",
          jar.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port),
          "--tls-cert", cert.toString(), "--tls-key", key.toString(), "--no-events",
          "--drain-seconds", "0"));
      webhookCommand = String.join(" ", command).replace(work.path().toString(), "$TMP");
      System.out.println("bench: starting the webhook: " + webhookCommand);
      try (ManagedProcess webhook = ManagedProcess.start("webhook", command, Map.of(),
          work.dir("webhook"), work.path().resolve("webhook.log"))) {
        webhook.awaitOutput(Pattern.compile("serving https://"), Duration.ofSeconds(60));
        webhookPid = webhook.pid();
        if (settings.variants()) {
          return PodVariants.measure(api.adminClient(), this, settings, pki, port);
        }
        measureLatency(pki, port);
        if (settings.latencyOnly()) {
          System.out.println(latencySummary());
          return null;
        }
        measurePodCreation(api.adminClient(), pki, port);
      }
    }
    loadEnd = Machine.loadAverage();
    return write();
  }

  // ---------------------------------------------------------------- (a) handler latency

  private void measureLatency(TestPki pki, int port) throws Exception {
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
        + settings.rate() + " req/s (load " + load1() + ")");
    openLoop(http, uri, settings.warmupSeconds() - settings.warmupSeconds() / 2);
    // The second half of the warm-up, /mutate alone on kept-alive connections: the webhook's CPU
    // per admission with no TLS handshakes, to compare with its CPU per pod through the apiserver.
    double cpuBefore = processCpuSeconds(webhookPid);
    Latency secondHalf = openLoop(http, uri, settings.warmupSeconds() / 2);
    webhookCpuPerAdmissionMs = 1000 * (processCpuSeconds(webhookPid) - cpuBefore)
        / Math.max(1, secondHalf.sent);
    System.out.println("bench: handler latency, measuring " + settings.seconds() + " s (load "
        + load1() + ")");
    loads.add("latency: " + load1());
    URI metricsUri = URI.create("https://127.0.0.1:" + port + "/metrics");
    PrometheusText.Histogram before = histogram(http, metricsUri);
    int gcLinesBefore = GcLog.lines(gcLog);
    // The control: GET /healthz (no admission work) at the same rate, at the same time, on its
    // own connections: what TLS, HTTP, both JVMs and a shared machine's scheduling cost alone.
    HttpClient controlHttp = HttpClient.newBuilder().sslContext(ssl)
        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .executor(executor).build();
    URI health = URI.create("https://127.0.0.1:" + port + "/healthz");
    CompletableFuture<Latency> control = CompletableFuture.supplyAsync(() -> {
      try {
        return openLoop(controlHttp, () -> HttpRequest.newBuilder(health)
            .timeout(Duration.ofSeconds(10)).build(), body -> true, settings.seconds());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    latency = openLoop(http, uri, settings.seconds());
    healthLatency = control.get(120, TimeUnit.SECONDS);
    gcPauses = GcLog.pauses(gcLog, gcLinesBefore);
    serverHistogram = histogram(http, metricsUri).minus(before);
    executor.shutdown();
    System.out.println("bench: p50 " + ms(percentile(latency.micros, 50)) + " ms, p99 "
        + ms(percentile(latency.micros, 99)) + " ms, failures " + latency.failures.get());
  }

  private static final String SERVER_HISTOGRAM = "lanyard_webhook_admission_duration_seconds";

  /** The webhook's own latency histogram, all outcomes summed. */
  private static PrometheusText.Histogram histogram(HttpClient http, URI metrics)
      throws Exception {
    String text = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    return PrometheusText.parse(text).histogram(SERVER_HISTOGRAM);
  }

  /** The handler latency figures in one paragraph (stdout and the report). */
  private String latencySummary() {
    return "The webhook's own histogram `" + SERVER_HISTOGRAM + "` (from a complete request body "
        + "to the response, i.e. without TLS, HTTP parsing and the client; `/metrics` scraped "
        + "before and after the window; bucket bounds " + bounds() + " ms; quantiles "
        + "interpolated inside their bucket, as `histogram_quantile` does): "
        + Stats.format(serverHistogram.count(), 0) + " admissions, p50 "
        + Stats.format(serverHistogram.quantile(0.5) * 1000, 2) + " ms, p99 "
        + Stats.format(serverHistogram.quantile(0.99) * 1000, 2) + " ms (in the bucket "
        + serverHistogram.quantileBucketMillis(0.99) + "), " + serverShareWithin(0.005)
        + " % within 5 ms. Client-observed (open loop, from the scheduled send time): p50 "
        + ms(percentile(latency.micros, 50)) + " ms, p99 " + ms(percentile(latency.micros, 99))
        + " ms; the control, `GET /healthz` at the same rate at the same time (TLS, HTTP, both "
        + "JVMs and the machine's scheduling, no admission work): p50 "
        + ms(percentile(healthLatency.micros, 50)) + " ms, p99 "
        + ms(percentile(healthLatency.micros, 99)) + " ms (" + healthLatency.failures.get()
        + " failed). The webhook's CPU per admission on kept-alive connections (the second half "
        + "of the warm-up, /mutate alone): " + Stats.format(webhookCpuPerAdmissionMs, 2)
        + " ms. GC in the webhook JVM during the window (`-Xlog:gc`, flags `"
        + String.join(" ", settings.webhookJvmArgs()) + "`): " + GcLog.summary(gcPauses) + ".";
  }

  private String bounds() {
    return serverHistogram.cumulative().keySet().stream().filter(b -> !b.isInfinite())
        .map(b -> Stats.format(b * 1000, b < 0.001 ? 1 : 0)).collect(Collectors.joining(", "));
  }

  private String serverShareWithin(double seconds) {
    return serverHistogram.count() == 0 ? "?"
        : Stats.format(100 * serverHistogram.shareWithin(seconds), 1);
  }

  /** Sends {@code rate × seconds} requests on a fixed schedule; latency from the scheduled time. */
  private Latency openLoop(HttpClient http, URI uri, int seconds) throws Exception {
    return openLoop(http, () -> HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(BenchPods.admissionReview(UUID.randomUUID().toString())))
        .build(), body -> body.contains("\"allowed\":true"), seconds);
  }

  private Latency openLoop(HttpClient http, java.util.function.Supplier<HttpRequest> requests,
      java.util.function.Predicate<String> ok, int seconds) throws Exception {
    Latency result = new Latency();
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



  // ---------------------------------------------------------------- (b) pods per second


  private void measurePodCreation(KubernetesClient client, TestPki pki, int port)
      throws Exception {
    BenchPods.register(client, pki, port);

    System.out.println("bench: pod creation warm-up (load " + load1() + ")");
    createPods(client, BenchPods.INJECTED_NS, BenchPods.realisticPod(), settings.warmupPods(), Side.WITH);
    createPods(client, BenchPods.PLAIN_NS, BenchPods.realisticPod(), settings.warmupPods(), Side.WITHOUT);
    BenchPods.deleteAll(client);
    injectedChecked = 0;
    injectedFound = 0;
    creationErrors = 0;

    Pod preInjected = BenchPods.preInjectedTemplate(client);
    for (int round = 0; round < settings.rounds(); round++) {
      loads.add("round " + (round + 1) + ": " + load1());
      // Each side goes first, second and third in turn.
      List<Side> order = new ArrayList<>(List.of(Side.values()));
      Collections.rotate(order, -round);
      roundOrder.add(order.stream().map(side -> side.label).collect(Collectors.joining(", ")));
      Map<Side, Double> rates = new EnumMap<>(Side.class);
      for (Side side : order) {
        Map<String, Double> cpuBefore = cpuSeconds();
        double rate = switch (side) {
          case WITH -> createPods(client, BenchPods.INJECTED_NS, BenchPods.realisticPod(), settings.pods(), side);
          case WITHOUT -> createPods(client, BenchPods.PLAIN_NS, BenchPods.realisticPod(), settings.pods(), side);
          case PRE_INJECTED -> createPods(client, BenchPods.PLAIN_NS, preInjected, settings.pods(), side);
        };
        Map<String, Double> cpuAfter = cpuSeconds();
        Map<String, Double> sink = cpu.computeIfAbsent(side, s -> new LinkedHashMap<>());
        cpuAfter.forEach((name, seconds) ->
            sink.merge(name, seconds - cpuBefore.getOrDefault(name, 0.0), Double::sum));
        podsCreated.merge(side, settings.pods(), Integer::sum);
        rates.put(side, rate);
        BenchPods.deleteAll(client);
      }
      withPerSecond.add(rates.get(Side.WITH));
      withoutPerSecond.add(rates.get(Side.WITHOUT));
      preInjectedPerSecond.add(rates.get(Side.PRE_INJECTED));
      System.out.printf(Locale.ROOT, "bench: round %d: with webhook %.1f pods/s, without %.1f,"
          + " pre-injected %.1f, ratio %.3f (load %s)%n", round + 1, rates.get(Side.WITH),
          rates.get(Side.WITHOUT), rates.get(Side.PRE_INJECTED),
          rates.get(Side.WITH) / rates.get(Side.WITHOUT), load1());
    }
  }


  /**
   * CPU seconds (user + system) so far of every process taking part: etcd and kube-apiserver
   * (children of this JVM, found by name), the webhook and this load generator. Where the added
   * work of a webhook call goes is then visible, not guessed.
   */
  Map<String, Double> cpuSeconds() {
    Map<String, Double> cpu = new LinkedHashMap<>();
    ProcessHandle.current().descendants().forEach(child -> {
      String command = child.info().command().orElse("");
      String name = command.endsWith("/etcd") ? "etcd"
          : command.endsWith("/kube-apiserver") ? "kube-apiserver"
          : child.pid() == webhookPid ? "webhook" : null;
      if (name != null) {
        cpu.merge(name, processCpuSeconds(child.pid()), Double::sum);
      }
    });
    cpu.put("load generator (this JVM)", processCpuSeconds(ProcessHandle.current().pid()));
    return cpu;
  }

  /** utime + stime of {@code /proc/<pid>/stat}, in seconds (USER_HZ is 100 on Linux). */
  private static double processCpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return 0.0;
    }
  }


  /** {@code count} pods by {@code creators} threads; returns pods per second of wall time. */
  double createPods(KubernetesClient client, String namespace, Pod template, int count,
      Side side) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger injected = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    List<String> firstError = Collections.synchronizedList(new ArrayList<>());
    ExecutorService creators = Executors.newFixedThreadPool(settings.creators());
    long start = System.nanoTime();
    for (int t = 0; t < settings.creators(); t++) {
      creators.submit(() -> {
        while (next.getAndIncrement() < count) {
          try {
            Pod created = client.pods().inNamespace(namespace).resource(template).create();
            Map<String, String> annotations = created.getMetadata().getAnnotations();
            if (annotations != null && annotations.containsKey(BenchPods.STATUS)) {
              injected.incrementAndGet();
            }
          } catch (RuntimeException e) {
            if (errors.getAndIncrement() == 0) {
              firstError.add(e.getMessage());
            }
          }
        }
      });
    }
    creators.shutdown();
    if (!creators.awaitTermination(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("pod creation in " + namespace + " did not finish");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    creationErrors += errors.get();
    if (!firstError.isEmpty()) {
      System.out.println("bench: " + errors.get() + " creations failed in " + namespace
          + ", first: " + firstError.get(0));
    }
    if (side == Side.WITH) {
      injectedChecked += count - errors.get();
      injectedFound += injected.get();
    } else if (side == Side.WITHOUT && injected.get() > 0) {
      throw new IllegalStateException(injected.get() + " pods injected in " + namespace);
    }
    return (count - errors.get()) / seconds;
  }


  // ---------------------------------------------------------------- results

  private Path write() throws IOException {
    Files.createDirectories(settings.out());
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(started.atOffset(ZoneOffset.UTC));
    Path markdown = settings.out().resolve("webhook-" + date + ".md");
    Files.writeString(markdown, markdown());
    Files.writeString(settings.out().resolve("webhook-" + date + ".json"), json());
    return markdown;
  }

  private String markdown() {
    double p50 = percentile(latency.micros, 50);
    double p99 = percentile(latency.micros, 99);
    List<Double> ratios = Stats.ratios(withPerSecond, withoutPerSecond);
    StringBuilder md = new StringBuilder();
    md.append("# webhook benchmarks, ").append(DateTimeFormatter.ISO_INSTANT.format(
        started.truncatedTo(ChronoUnit.SECONDS))).append("\n\n");
    md.append("Produced by `").append(settings.command()).append("` (knobs: rate=")
        .append(settings.rate()).append(", seconds=").append(settings.seconds())
        .append(", warmup-seconds=").append(settings.warmupSeconds()).append(", rounds=")
        .append(settings.rounds()).append(", pods=").append(settings.pods()).append(", warmup-pods=").append(settings.warmupPods())
        .append(", creators=").append(settings.creators()).append(").\n\n");
    md.append("| machine | |\n|---|---|\n")
        .append("| processors (nproc) | ").append(Machine.processors()).append(" |\n")
        .append("| CPU | ").append(Machine.cpuModel()).append(" |\n")
        .append("| memory | ").append(Machine.memTotalKb() / 1024).append(" MiB |\n")
        .append("| kernel | ").append(Machine.kernel()).append(" |\n")
        .append("| JDK (bench and webhook JVMs) | ").append(Machine.jdk()).append(" |\n")
        .append("| Lanyard | ").append(Revision.of("injector-webhook")).append("; lanyard-webhook.jar SHA-256 ")
        .append(jarSha).append("… |\n")
        .append("| kube-apiserver | ").append(version("kube-apiserver")).append(" |\n")
        .append("| etcd | ").append(version("etcd")).append(" |\n")
        .append("| load average 1/5/15 min, start | ").append(Machine.loadText(loadStart)).append(" |\n")
        .append("| load average 1 min, during | ").append(String.join("; ", loads))
        .append(" |\n")
        .append("| load average 1/5/15 min, end | ").append(Machine.loadText(loadEnd)).append(" |\n\n");
    md.append("etcd, kube-apiserver, the webhook JVM and the load-generating JVM all share these "
        + "processors; a load average above the processor count means other jobs ran alongside. "
        + "The pods/s comparison is interleaved round by round and quoted as the median of the "
        + "round-by-round ratios (min–max); absolute numbers are only indicative.\n\n");

    md.append("## Against the targets\n\n| what | measured | target | verdict |\n|---|---|---|---|\n");
    row(md, "handler latency p99 at " + settings.rate() + " req/s (open loop, HTTPS)",
        ms(p99) + " ms (p50 " + ms(p50) + " ms)", "≤ 5 ms", p99 <= P99_TARGET_MS * 1000);
    row(md, "the same, the webhook's own histogram (handler only, interpolated)",
        Stats.format(serverHistogram.quantile(0.99) * 1000, 2) + " ms (p50 "
            + Stats.format(serverHistogram.quantile(0.5) * 1000, 2) + " ms)", "≤ 5 ms",
        serverHistogram.quantile(0.99) <= P99_TARGET_MS / 1000);
    row(md, "pods created/s, with webhook ÷ without", Stats.summary(ratios, 3), "≥ 0.8",
        Stats.median(ratios) >= RATIO_TARGET);
    md.append("\n");

    md.append("## Handler latency\n\n")
        .append("`POST https://127.0.0.1:<port>/mutate` of an AdmissionReview v1 (CREATE of a "
            + "ReplicaSet's pod: a Spring Boot container with an existing `JAVA_TOOL_OPTIONS`, "
            + "probes, resources and volumes, plus a non-JVM log shipper, so the webhook adds the "
            + "javaagent and the sidecar; ")
        .append(BenchPods.admissionReview("x").length()).append(" bytes), from one JDK `HttpClient` "
            + "(HTTP/1.1, kept-alive connections, trusting the test CA). Open loop: request i is "
            + "sent at start + i/rate whatever happened to the earlier ones, and its latency runs "
            + "from that scheduled time to the end of the response body, so it includes the "
            + "client's TLS and HTTP stack and any queueing. ")
        .append(settings.warmupSeconds()).append(" s of warm-up at the same rate are discarded. "
            + "The response must be 200 with `allowed: true` to count.\n\n")
        .append("| requests | ok | with a JSON Patch | failed | p50, ms | p90, ms | p99, ms "
            + "| p99.9, ms | max, ms | achieved rate, req/s | max send lag, ms |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|\n")
        .append("| ").append(latency.sent).append(" | ").append(latency.micros.size())
        .append(" | ").append(latency.patched.get()).append(" | ")
        .append(latency.failures.get()).append(" | ").append(ms(p50)).append(" | ")
        .append(ms(percentile(latency.micros, 90))).append(" | ").append(ms(p99)).append(" | ")
        .append(ms(percentile(latency.micros, 99.9))).append(" | ")
        .append(ms(percentile(latency.micros, 100))).append(" | ")
        .append(Stats.format(latency.sent / latency.elapsedSeconds, 1)).append(" | ")
        .append(Stats.format(latency.sendLagMaxMs, 2)).append(" |\n\n");
    md.append(latencySummary()).append("\n\n");
    if (latency.failures.get() > 0) {
      md.append("First failure: `").append(latency.firstFailure.replace('\n', ' '))
          .append("`\n\n");
    }

    md.append("## Pods created per second through the apiserver\n\n")
        .append("A MutatingWebhookConfiguration `inject.lanyard.dev` by URL "
            + "(`https://127.0.0.1:<port>/mutate`, caBundle of the test CA, `namespaceSelector: "
            + "lanyard.dev/inject=enabled`, `failurePolicy: Fail`, `reinvocationPolicy: IfNeeded`, "
            + "`timeoutSeconds: 5`). With: namespace `").append(BenchPods.INJECTED_NS)
        .append("` (labelled; every pod goes through the webhook). Without: namespace `")
        .append(BenchPods.PLAIN_NS).append("` (unlabelled; the apiserver does not call the webhook). "
            + "Pre-injected: the pod as the webhook returns it (read back from a dry run), "
            + "created in `").append(BenchPods.PLAIN_NS).append("`, so the apiserver stores the bigger pod "
            + "without calling the webhook: with ÷ pre-injected is the webhook call's own cost, "
            + "pre-injected ÷ without the cost of the bigger pod. Each of ")
        .append(settings.rounds()).append(" rounds creates ").append(settings.pods())
        .append(" pods (`generateName`) on each side with ")
        .append(settings.creators()).append(" concurrent creators (one fabric8 client, cluster "
            + "admin), the order of the sides rotating; pods/s is the side's count over its "
            + "wall time. Pods are deleted after each side (no kubelet: they are stored, never "
            + "run). A warm-up of ").append(settings.warmupPods()).append(" pods on the with "
            + "and without sides is discarded. Injected pods read back with "
            + "`lanyard.dev/status`: ").append(injectedFound).append(" of ")
        .append(injectedChecked).append("; failed creations: ").append(creationErrors)
        .append(".\n\n| round | order | with webhook, pods/s | without, pods/s | pre-injected, "
            + "pods/s | with ÷ without | with ÷ pre-injected | pre-injected ÷ without |\n"
            + "|---|---|---|---|---|---|---|---|\n");
    List<Double> callRatios = Stats.ratios(withPerSecond, preInjectedPerSecond);
    List<Double> sizeRatios = Stats.ratios(preInjectedPerSecond, withoutPerSecond);
    for (int i = 0; i < withPerSecond.size(); i++) {
      md.append("| ").append(i + 1).append(" | ").append(roundOrder.get(i)).append(" | ")
          .append(Stats.format(withPerSecond.get(i), 1)).append(" | ")
          .append(Stats.format(withoutPerSecond.get(i), 1)).append(" | ")
          .append(Stats.format(preInjectedPerSecond.get(i), 1)).append(" | ")
          .append(Stats.format(ratios.get(i), 3)).append(" | ")
          .append(Stats.format(callRatios.get(i), 3)).append(" | ")
          .append(Stats.format(sizeRatios.get(i), 3)).append(" |\n");
    }
    md.append("| **median (min–max)** | | ").append(Stats.summary(withPerSecond, 1)).append(" | ")
        .append(Stats.summary(withoutPerSecond, 1)).append(" | ")
        .append(Stats.summary(preInjectedPerSecond, 1)).append(" | ")
        .append(Stats.summary(ratios, 3)).append(" | ")
        .append(Stats.summary(callRatios, 3)).append(" | ")
        .append(Stats.summary(sizeRatios, 3)).append(" |\n\n");

    md.append("CPU time per pod created (user + system, from `/proc/<pid>/stat`, summed over the "
        + "measured rounds of each side; on a machine where every process competes for the same "
        + "processors, pods/s follows the total):\n\n| process | with webhook, ms/pod | "
        + "without, ms/pod | pre-injected, ms/pod | added by injection (with − without), ms/pod "
        + "|\n|---|---|---|---|---|\n");
    Map<Side, Double> totals = new EnumMap<>(Side.class);
    for (String name : cpu.getOrDefault(Side.WITH, Map.of()).keySet()) {
      md.append("| ").append(name);
      for (Side side : Side.values()) {
        double perPod = cpuPerPod(side, name);
        totals.merge(side, perPod, Double::sum);
        md.append(" | ").append(Stats.format(perPod, 2));
      }
      md.append(" | ").append(Stats.format(cpuPerPod(Side.WITH, name)
          - cpuPerPod(Side.WITHOUT, name), 2)).append(" |\n");
    }
    md.append("| **total**");
    for (Side side : Side.values()) {
      md.append(" | ").append(Stats.format(totals.getOrDefault(side, 0.0), 2));
    }
    md.append(" | ").append(Stats.format(totals.getOrDefault(Side.WITH, 0.0)
        - totals.getOrDefault(Side.WITHOUT, 0.0), 2)).append(" |\n\n");

    md.append("## Commands\n\n- webhook: `").append(webhookCommand).append("` (the jar is copied "
        + "at the start of the run; `$TMP` is the run's temporary directory; the serving "
        + "certificate is EC P-256 from `TestPki`, SANs `localhost` and `127.0.0.1`)\n"
        + "- etcd and kube-apiserver: `dev.lanyard.testkit.KubeApiServer.start()` (real binaries "
        + "on loopback, default admission chain minus ServiceAccount)\n"
        + "- load: `java -cp bench/target/classes:<bench classpath> dev.lanyard.bench.WebhookBench`"
        + "\n");
    return md.toString();
  }

  private String json() {
    List<Double> ratios = Stats.ratios(withPerSecond, withoutPerSecond);
    ObjectNode json = Json.object();
    json.put("started", started.toString());
    json.put("command", settings.command());
    json.putObject("settings").put("rate", settings.rate()).put("seconds", settings.seconds())
        .put("warmup_seconds", settings.warmupSeconds()).put("rounds", settings.rounds())
        .put("pods", settings.pods()).put("creators", settings.creators());
    ObjectNode machine = json.putObject("machine");
    machine.put("nproc", Machine.processors()).put("cpu", Machine.cpuModel())
        .put("mem_total_kb", Machine.memTotalKb()).put("kernel", Machine.kernel())
        .put("jdk", Machine.jdk()).put("lanyard", Revision.of("injector-webhook"))
        .put("webhook_jar_sha256_prefix", jarSha);
    machine.set("load_start", Json.numbers(loadStart, 2));
    machine.set("load_during", Json.strings(loads));
    machine.set("load_end", Json.numbers(loadEnd, 2));
    ObjectNode latencies = json.putObject("latency");
    latencies.put("sent", latency.sent).put("ok", latency.micros.size())
        .put("patched", latency.patched.get()).put("failed", latency.failures.get())
        .put("p50_ms", msNumber(percentile(latency.micros, 50)))
        .put("p90_ms", msNumber(percentile(latency.micros, 90)))
        .put("p99_ms", msNumber(percentile(latency.micros, 99)))
        .put("p999_ms", msNumber(percentile(latency.micros, 99.9)))
        .put("max_ms", msNumber(percentile(latency.micros, 100)))
        .put("target_p99_ms", P99_TARGET_MS)
        .put("server_p50_ms", Json.number(serverHistogram.quantile(0.5) * 1000, 3))
        .put("server_p99_ms", Json.number(serverHistogram.quantile(0.99) * 1000, 3));
    latencies.set("webhook_gc_pauses_ms", Json.numbers(
        gcPauses.stream().map(GcLog.Pause::millis).collect(Collectors.toList()), 3));
    latencies.put("webhook_cpu_ms_per_admission_keepalive",
            Json.number(webhookCpuPerAdmissionMs, 3))
        .put("healthz_p50_ms", msNumber(percentile(healthLatency.micros, 50)))
        .put("healthz_p99_ms", msNumber(percentile(healthLatency.micros, 99)))
        .put("webhook_jvm_args", String.join(" ", settings.webhookJvmArgs()));
    ObjectNode cumulative = latencies.putObject("server_histogram_cumulative");
    serverHistogram.cumulative().forEach((bound, count) -> cumulative.put(
        bound.isInfinite() ? "+Inf" : Stats.format(bound, 4), Json.number(count, 0)));
    latencies.set("samples_us", Json.numbers(latency.micros, 0));
    ObjectNode pods = json.putObject("pods_per_second");
    pods.set("with_webhook", Json.numbers(withPerSecond, 3));
    pods.set("without", Json.numbers(withoutPerSecond, 3));
    pods.set("ratios", Json.numbers(ratios, 3));
    pods.put("median_ratio", Json.number(Stats.median(ratios), 3))
        .put("target_ratio", RATIO_TARGET).put("injected_found", injectedFound)
        .put("injected_checked", injectedChecked).put("creation_errors", creationErrors);
    pods.set("pre_injected", Json.numbers(preInjectedPerSecond, 3));
    ObjectNode cpuPerPod = pods.putObject("cpu_ms_per_pod");
    for (Side side : Side.values()) {
      ObjectNode processes = cpuPerPod.putObject(side.name().toLowerCase(Locale.ROOT));
      cpu.getOrDefault(side, Map.of()).keySet()
          .forEach(name -> processes.put(name, Json.number(cpuPerPod(side, name), 3)));
    }
    json.put("webhook_command", webhookCommand);
    return Json.write(json);
  }

  private double cpuPerPod(Side side, String process) {
    return 1000 * cpu.getOrDefault(side, Map.of()).getOrDefault(process, 0.0)
        / Math.max(1, podsCreated.getOrDefault(side, 0));
  }

  private static void row(StringBuilder md, String what, String measured, String target,
      boolean met) {
    md.append("| ").append(what).append(" | ").append(measured).append(" | ").append(target)
        .append(" | ").append(met ? "met" : "**missed**").append(" |\n");
  }

  /** Nearest-rank percentile of microsecond samples. */
  static double percentile(List<Double> values, double p) {
    List<Double> sorted;
    synchronized (values) {
      sorted = new ArrayList<>(values);
    }
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.min(sorted.size() - 1, Math.max(0, rank - 1)));
  }

  private static String ms(double micros) {
    return Stats.format(micros / 1000, 2);
  }

  private static java.math.BigDecimal msNumber(double micros) {
    return Json.number(micros / 1000, 2);
  }

  static String load1() {
    return Stats.format(Machine.loadAverage()[0], 2);
  }


  private static String version(String tool) {
    try {
      String path = dev.lanyard.testkit.Tools.require(tool).toString();
      return Machine.firstLine(List.of(path, "--version"));
    } catch (RuntimeException e) {
      return "unknown";
    }
  }
}
