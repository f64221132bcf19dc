package dev.lanyard.bench;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.KubeApiServer;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

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

  private final Settings settings;
  private final TempDir work = TempDir.create("lanyard-bench-webhook-");
  private final WebhookResults results = new WebhookResults();

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

  /** Process control: the snapshot jar, its serving certificate, the apiserver, the webhook. */
  private Path run() throws Exception {
    results.loadStart = Machine.loadAverage();
    Path jar = Files.copy(BUILT_JAR, work.dir("snapshot").resolve("lanyard-webhook.jar"));
    results.jarSha = Machine.sha256(jar);

    TestPki pki = TestPki.create("lanyard-bench-webhook-ca");
    TestPki.Issued serving = pki.server("webhook", List.of("localhost"), List.of("127.0.0.1"));
    Path tls = work.dir("tls");
    Path cert = Files.writeString(tls.resolve("tls.crt"), serving.certificatePem());
    Path key = Files.writeString(tls.resolve("tls.key"), serving.keyPem());

    System.out.println("bench: starting etcd and kube-apiserver");
    try (KubeApiServer api = KubeApiServer.start()) {
      int port = FreePorts.next();
      Path gcLog = work.path().resolve("webhook-gc.log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(settings.webhookJvmArgs());
      command.addAll(List.of("-Xlog:gc:file=" + gcLog, "-jar",
          jar.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port),
          "--tls-cert", cert.toString(), "--tls-key", key.toString(), "--no-events",
          "--drain-seconds", "0"));
      results.webhookCommand = String.join(" ", command).replace(work.path().toString(), "$TMP");
      System.out.println("bench: starting the webhook: " + results.webhookCommand);
      try (ManagedProcess webhook = ManagedProcess.start("webhook", command, Map.of(),
          work.dir("webhook"), work.path().resolve("webhook.log"))) {
        webhook.awaitOutput(Pattern.compile("serving https://"), Duration.ofSeconds(60));
        PodCreationRounds pods = new PodCreationRounds(settings, results, webhook.pid());
        if (settings.variants()) {
          return PodVariants.measure(api.adminClient(), pods, settings, pki, port);
        }
        new AdmissionLatency(settings, results, webhook.pid(), gcLog).measure(pki, port);
        if (settings.latencyOnly()) {
          System.out.println(new WebhookReport(settings, results).latencySummary());
          return null;
        }
        pods.measure(api.adminClient(), pki, port);
      }
    }
    results.loadEnd = Machine.loadAverage();
    return new WebhookReport(settings, results).write();
  }

  static String load1() {
    return Stats.format(Machine.loadAverage()[0], 2);
  }
}
