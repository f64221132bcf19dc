package dev.lanyard.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.bench.WebhookBench.Side;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes one {@link WebhookBench} run's {@link WebhookResults} as {@code webhook-<date>.md} for
 * people and {@code .json} (raw samples included) for tools.
 */
final class WebhookReport {
  static final String SERVER_HISTOGRAM = "lanyard_webhook_admission_duration_seconds";

  private final WebhookBench.Settings settings;
  private final WebhookResults results;

  WebhookReport(WebhookBench.Settings settings, WebhookResults results) {
    this.settings = settings;
    this.results = results;
  }

  Path write() throws IOException {
    Files.createDirectories(settings.out());
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(results.started.atOffset(ZoneOffset.UTC));
    Path markdown = settings.out().resolve("webhook-" + date + ".md");
    Files.writeString(markdown, markdown());
    Files.writeString(settings.out().resolve("webhook-" + date + ".json"), json());
    return markdown;
  }

  String markdown() {
    double p50 = results.latency.percentile(50);
    double p99 = results.latency.percentile(99);
    List<Double> ratios = Stats.ratios(results.withPerSecond, results.withoutPerSecond);
    StringBuilder md = new StringBuilder();
    md.append("# webhook benchmarks, ").append(DateTimeFormatter.ISO_INSTANT.format(
        results.started.truncatedTo(ChronoUnit.SECONDS))).append("\n\n");
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
        .append(results.jarSha).append("… |\n")
        .append("| kube-apiserver | ").append(version("kube-apiserver")).append(" |\n")
        .append("| etcd | ").append(version("etcd")).append(" |\n")
        .append("| load average 1/5/15 min, start | ").append(Machine.loadText(results.loadStart)).append(" |\n")
        .append("| load average 1 min, during | ").append(String.join("; ", results.loads))
        .append(" |\n")
        .append("| load average 1/5/15 min, end | ").append(Machine.loadText(results.loadEnd)).append(" |\n\n");
    md.append("etcd, kube-apiserver, the webhook JVM and the load-generating JVM all share these "
        + "processors; a load average above the processor count means other jobs ran alongside. "
        + "The pods/s comparison is interleaved round by round and quoted as the median of the "
        + "round-by-round ratios (min–max); absolute numbers are only indicative.\n\n");

    md.append("## Against the targets\n\n| what | measured | target | verdict |\n|---|---|---|---|\n");
    row(md, "handler latency p99 at " + settings.rate() + " req/s (open loop, HTTPS)",
        ms(p99) + " ms (p50 " + ms(p50) + " ms)", "≤ 5 ms", p99 <= WebhookBench.P99_TARGET_MS * 1000);
    row(md, "the same, the webhook's own histogram (handler only, interpolated)",
        Stats.format(results.serverHistogram.quantile(0.99) * 1000, 2) + " ms (p50 "
            + Stats.format(results.serverHistogram.quantile(0.5) * 1000, 2) + " ms)", "≤ 5 ms",
        results.serverHistogram.quantile(0.99) <= WebhookBench.P99_TARGET_MS / 1000);
    row(md, "pods created/s, with webhook ÷ without", Stats.summary(ratios, 3), "≥ 0.8",
        Stats.median(ratios) >= WebhookBench.RATIO_TARGET);
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
        .append("| ").append(results.latency.sent).append(" | ").append(results.latency.micros.size())
        .append(" | ").append(results.latency.patched.get()).append(" | ")
        .append(results.latency.failures.get()).append(" | ").append(ms(p50)).append(" | ")
        .append(ms(results.latency.percentile(90))).append(" | ").append(ms(p99)).append(" | ")
        .append(ms(results.latency.percentile(99.9))).append(" | ")
        .append(ms(results.latency.percentile(100))).append(" | ")
        .append(Stats.format(results.latency.sent / results.latency.elapsedSeconds, 1)).append(" | ")
        .append(Stats.format(results.latency.sendLagMaxMs, 2)).append(" |\n\n");
    md.append(latencySummary()).append("\n\n");
    if (results.latency.failures.get() > 0) {
      md.append("First failure: `").append(results.latency.firstFailure.replace('\n', ' '))
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
            + "`lanyard.dev/status`: ").append(results.injectedFound).append(" of ")
        .append(results.injectedChecked).append("; failed creations: ").append(results.creationErrors)
        .append(".\n\n| round | order | with webhook, pods/s | without, pods/s | pre-injected, "
            + "pods/s | with ÷ without | with ÷ pre-injected | pre-injected ÷ without |\n"
            + "|---|---|---|---|---|---|---|---|\n");
    List<Double> callRatios = Stats.ratios(results.withPerSecond, results.preInjectedPerSecond);
    List<Double> sizeRatios = Stats.ratios(results.preInjectedPerSecond, results.withoutPerSecond);
    for (int i = 0; i < results.withPerSecond.size(); i++) {
      md.append("| ").append(i + 1).append(" | ").append(results.roundOrder.get(i)).append(" | ")
          .append(Stats.format(results.withPerSecond.get(i), 1)).append(" | ")
          .append(Stats.format(results.withoutPerSecond.get(i), 1)).append(" | ")
          .append(Stats.format(results.preInjectedPerSecond.get(i), 1)).append(" | ")
          .append(Stats.format(ratios.get(i), 3)).append(" | ")
          .append(Stats.format(callRatios.get(i), 3)).append(" | ")
          .append(Stats.format(sizeRatios.get(i), 3)).append(" |\n");
    }
    md.append("| **median (min–max)** | | ").append(Stats.summary(results.withPerSecond, 1)).append(" | ")
        .append(Stats.summary(results.withoutPerSecond, 1)).append(" | ")
        .append(Stats.summary(results.preInjectedPerSecond, 1)).append(" | ")
        .append(Stats.summary(ratios, 3)).append(" | ")
        .append(Stats.summary(callRatios, 3)).append(" | ")
        .append(Stats.summary(sizeRatios, 3)).append(" |\n\n");

    md.append("CPU time per pod created (user + system, from `/proc/<pid>/stat`, summed over the "
        + "measured rounds of each side; on a machine where every process competes for the same "
        + "processors, pods/s follows the total):\n\n| process | with webhook, ms/pod | "
        + "without, ms/pod | pre-injected, ms/pod | added by injection (with − without), ms/pod "
        + "|\n|---|---|---|---|---|\n");
    Map<Side, Double> totals = new EnumMap<>(Side.class);
    for (String name : results.cpu.getOrDefault(Side.WITH, Map.of()).keySet()) {
      md.append("| ").append(name);
      for (Side side : Side.values()) {
        double perPod = results.cpuPerPod(side, name);
        totals.merge(side, perPod, Double::sum);
        md.append(" | ").append(Stats.format(perPod, 2));
      }
      md.append(" | ").append(Stats.format(results.cpuPerPod(Side.WITH, name)
          - results.cpuPerPod(Side.WITHOUT, name), 2)).append(" |\n");
    }
    md.append("| **total**");
    for (Side side : Side.values()) {
      md.append(" | ").append(Stats.format(totals.getOrDefault(side, 0.0), 2));
    }
    md.append(" | ").append(Stats.format(totals.getOrDefault(Side.WITH, 0.0)
        - totals.getOrDefault(Side.WITHOUT, 0.0), 2)).append(" |\n\n");

    md.append("## Commands\n\n- webhook: `").append(results.webhookCommand).append("` (the jar is copied "
        + "at the start of the run; `$TMP` is the run's temporary directory; the serving "
        + "certificate is EC P-256 from `TestPki`, SANs `localhost` and `127.0.0.1`)\n"
        + "- etcd and kube-apiserver: `dev.lanyard.testkit.KubeApiServer.start()` (real binaries "
        + "on loopback, default admission chain minus ServiceAccount)\n"
        + "- load: `java -cp bench/target/classes:<bench classpath> dev.lanyard.bench.WebhookBench`"
        + "\n");
    return md.toString();
  }

  String json() {
    List<Double> ratios = Stats.ratios(results.withPerSecond, results.withoutPerSecond);
    ObjectNode json = Json.object();
    json.put("started", results.started.toString());
    json.put("command", settings.command());
    json.putObject("settings").put("rate", settings.rate()).put("seconds", settings.seconds())
        .put("warmup_seconds", settings.warmupSeconds()).put("rounds", settings.rounds())
        .put("pods", settings.pods()).put("creators", settings.creators());
    ObjectNode machine = json.putObject("machine");
    machine.put("nproc", Machine.processors()).put("cpu", Machine.cpuModel())
        .put("mem_total_kb", Machine.memTotalKb()).put("kernel", Machine.kernel())
        .put("jdk", Machine.jdk()).put("lanyard", Revision.of("injector-webhook"))
        .put("webhook_jar_sha256_prefix", results.jarSha);
    machine.set("load_start", Json.numbers(results.loadStart, 2));
    machine.set("load_during", Json.strings(results.loads));
    machine.set("load_end", Json.numbers(results.loadEnd, 2));
    ObjectNode latencies = json.putObject("latency");
    latencies.put("sent", results.latency.sent).put("ok", results.latency.micros.size())
        .put("patched", results.latency.patched.get()).put("failed", results.latency.failures.get())
        .put("p50_ms", msNumber(results.latency.percentile(50)))
        .put("p90_ms", msNumber(results.latency.percentile(90)))
        .put("p99_ms", msNumber(results.latency.percentile(99)))
        .put("p999_ms", msNumber(results.latency.percentile(99.9)))
        .put("max_ms", msNumber(results.latency.percentile(100)))
        .put("target_p99_ms", WebhookBench.P99_TARGET_MS)
        .put("server_p50_ms", Json.number(results.serverHistogram.quantile(0.5) * 1000, 3))
        .put("server_p99_ms", Json.number(results.serverHistogram.quantile(0.99) * 1000, 3));
    latencies.set("webhook_gc_pauses_ms", Json.numbers(
        results.gcPauses.stream().map(GcLog.Pause::millis).collect(Collectors.toList()), 3));
    latencies.put("webhook_cpu_ms_per_admission_keepalive",
            Json.number(results.webhookCpuPerAdmissionMs, 3))
        .put("healthz_p50_ms", msNumber(results.healthLatency.percentile(50)))
        .put("healthz_p99_ms", msNumber(results.healthLatency.percentile(99)))
        .put("webhook_jvm_args", String.join(" ", settings.webhookJvmArgs()));
    ObjectNode cumulative = latencies.putObject("server_histogram_cumulative");
    results.serverHistogram.cumulative().forEach((bound, count) -> cumulative.put(
        bound.isInfinite() ? "+Inf" : Stats.format(bound, 4), Json.number(count, 0)));
    latencies.set("samples_us", Json.numbers(results.latency.micros, 0));
    ObjectNode pods = json.putObject("pods_per_second");
    pods.set("with_webhook", Json.numbers(results.withPerSecond, 3));
    pods.set("without", Json.numbers(results.withoutPerSecond, 3));
    pods.set("ratios", Json.numbers(ratios, 3));
    pods.put("median_ratio", Json.number(Stats.median(ratios), 3))
        .put("target_ratio", WebhookBench.RATIO_TARGET).put("injected_found", results.injectedFound)
        .put("injected_checked", results.injectedChecked).put("creation_errors", results.creationErrors);
    pods.set("pre_injected", Json.numbers(results.preInjectedPerSecond, 3));
    ObjectNode cpuPerPod = pods.putObject("cpu_ms_per_pod");
    for (Side side : Side.values()) {
      ObjectNode processes = cpuPerPod.putObject(side.name().toLowerCase(Locale.ROOT));
      results.cpu.getOrDefault(side, Map.of()).keySet()
          .forEach(name -> processes.put(name, Json.number(results.cpuPerPod(side, name), 3)));
    }
    json.put("webhook_command", results.webhookCommand);
    return Json.write(json);
  }

  private static void row(StringBuilder md, String what, String measured, String target,
      boolean met) {
    md.append("| ").append(what).append(" | ").append(measured).append(" | ").append(target)
        .append(" | ").append(met ? "met" : "**missed**").append(" |\n");
  }

  static String ms(double micros) {
    return Stats.format(micros / 1000, 2);
  }

  private static java.math.BigDecimal msNumber(double micros) {
    return Json.number(micros / 1000, 2);
  }

  /** The handler latency figures in one paragraph (stdout and the report). */
  String latencySummary() {
    return "The webhook's own histogram `" + SERVER_HISTOGRAM + "` (from a complete request body "
        + "to the response, i.e. without TLS, HTTP parsing and the client; `/metrics` scraped "
        + "before and after the window; bucket bounds " + bounds() + " ms; quantiles "
        + "interpolated inside their bucket, as `histogram_quantile` does): "
        + Stats.format(results.serverHistogram.count(), 0) + " admissions, p50 "
        + Stats.format(results.serverHistogram.quantile(0.5) * 1000, 2) + " ms, p99 "
        + Stats.format(results.serverHistogram.quantile(0.99) * 1000, 2) + " ms (in the bucket "
        + results.serverHistogram.quantileBucketMillis(0.99) + "), " + serverShareWithin(0.005)
        + " % within 5 ms. Client-observed (open loop, from the scheduled send time): p50 "
        + ms(results.latency.percentile(50)) + " ms, p99 " + ms(results.latency.percentile(99))
        + " ms; the control, `GET /healthz` at the same rate at the same time (TLS, HTTP, both "
        + "JVMs and the machine's scheduling, no admission work): p50 "
        + ms(results.healthLatency.percentile(50)) + " ms, p99 "
        + ms(results.healthLatency.percentile(99)) + " ms (" + results.healthLatency.failures.get()
        + " failed). The webhook's CPU per admission on kept-alive connections (the second half "
        + "of the warm-up, /mutate alone): " + Stats.format(results.webhookCpuPerAdmissionMs, 2)
        + " ms. GC in the webhook JVM during the window (`-Xlog:gc`, flags `"
        + String.join(" ", settings.webhookJvmArgs()) + "`): " + GcLog.summary(results.gcPauses) + ".";
  }

  private String bounds() {
    return results.serverHistogram.cumulative().keySet().stream().filter(b -> !b.isInfinite())
        .map(b -> Stats.format(b * 1000, b < 0.001 ? 1 : 0)).collect(Collectors.joining(", "));
  }

  private String serverShareWithin(double seconds) {
    return results.serverHistogram.count() == 0 ? "?"
        : Stats.format(100 * results.serverHistogram.shareWithin(seconds), 1);
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
