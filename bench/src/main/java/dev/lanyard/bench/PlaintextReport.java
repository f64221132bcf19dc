package dev.lanyard.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The results of {@link PlaintextUpgradeBench}: {@code plaintext-upgrade-<date>.md} (for people)
 * and {@code .json} (every sample). What each configuration adds to plaintext is taken round by
 * round (trial by trial for start-up) and quoted as the median with min–max; the verdict compares
 * what the in-process upgrade adds with what the sidecar pair adds.
 */
final class PlaintextReport {
  static final String PLAINTEXT = "plaintext";
  static final String UPGRADED = "upgraded";
  static final String SIDECARS = "sidecars";

  /** Every sample of one configuration, in round (trial) order. */
  static final class Figures {
    final List<Double> warmP50Us = new ArrayList<>();
    final List<Double> warmP99Us = new ArrayList<>();
    final List<Double> perSecond = new ArrayList<>();
    final List<Double> cpuMsPerThousand = new ArrayList<>();
    final List<Double> startupMillis = new ArrayList<>();
    final List<Double> startupCpuSeconds = new ArrayList<>();
    /** The fresh client-side sidecar's fork to ready within each start-up (NaN without one). */
    final List<Double> sidecarReadyMillis = new ArrayList<>();
  }

  private final PlaintextUpgradeBench.Settings settings;
  final Instant started = Instant.now();
  double[] loadAtStart;
  double[] loadAtEnd;
  final List<Double> roundLoads = new ArrayList<>();
  String spireVersion = "";
  String revision = "";
  String agentJarSha256 = "";
  String sidecarJarSha256 = "";
  String warmClientCommand = "";
  String throughputClientCommand = "";
  String startupClientCommand = "";
  Map<String, String> processCommands = Map.of();
  Map<String, Double> sidecarReadyMs = Map.of();
  Map<String, Long> rssAfterKb = Map.of();
  private final Map<String, Figures> figures = new LinkedHashMap<>();

  PlaintextReport(PlaintextUpgradeBench.Settings settings) {
    this.settings = settings;
  }

  Figures figures(String config) {
    return figures.computeIfAbsent(config, name -> new Figures());
  }

  /** Writes {@code plaintext-upgrade-<date>.md} and {@code .json}; returns the Markdown file. */
  Path write() throws IOException {
    Files.createDirectories(settings.out());
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(started.atOffset(ZoneOffset.UTC));
    Path markdown = settings.out().resolve("plaintext-upgrade-" + date + ".md");
    Files.writeString(markdown, markdown());
    Files.writeString(settings.out().resolve("plaintext-upgrade-" + date + ".json"), json());
    return markdown;
  }

  /** What {@code config} adds to plaintext, round by round, for one figure. */
  private List<Double> added(String config, Function<Figures, List<Double>> figure) {
    return Stats.differences(figure.apply(figures(config)), figure.apply(figures(PLAINTEXT)));
  }

  private List<Double> ratioToPlaintext(String config, Function<Figures, List<Double>> figure) {
    return Stats.ratios(figure.apply(figures(config)), figure.apply(figures(PLAINTEXT)));
  }

  /** True when the in-process upgrade adds less latency than the sidecar pair, at p50 and at p99. */
  boolean targetMet() {
    return Stats.median(added(UPGRADED, f -> f.warmP50Us))
        < Stats.median(added(SIDECARS, f -> f.warmP50Us))
        && Stats.median(added(UPGRADED, f -> f.warmP99Us))
        < Stats.median(added(SIDECARS, f -> f.warmP99Us));
  }

  // ---------------------------------------------------------------- Markdown

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Plain HTTP upgraded to mTLS: in-process versus a sidecar pair, ")
        .append(DateTimeFormatter.ISO_INSTANT.format(
            started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))).append("\n\n");
    md.append("Produced by `").append(settings.command()).append("` (knobs: rounds=")
        .append(settings.rounds()).append(", warmup-requests=").append(settings.warmupRequests())
        .append(", warm-requests=").append(settings.warmRequests())
        .append(", window-ms=").append(settings.windowMillis()).append(", concurrency=")
        .append(settings.concurrency()).append(", startup-trials=")
        .append(settings.startupTrials()).append(").\n\n");
    md.append("| machine | |\n|---|---|\n")
        .append("| processors (nproc) | ").append(Machine.processors()).append(" |\n")
        .append("| CPU | ").append(Machine.cpuModel()).append(" |\n")
        .append("| memory | ").append(Machine.memTotalKb() / 1024).append(" MiB |\n")
        .append("| kernel | ").append(Machine.kernel()).append(" |\n")
        .append("| JDK (every JVM of the run) | ").append(Machine.jdk()).append(" |\n")
        .append("| Lanyard | ").append(revision).append("; javaagent jar SHA-256 ")
        .append(agentJarSha256).append("…, sidecar jar SHA-256 ").append(sidecarJarSha256)
        .append("… |\n")
        .append("| SPIRE | ").append(spireVersion)
        .append(" (real server and SPIRE Agent, SVID TTL 30 min) |\n")
        .append("| niceness of the bench and its children | ").append(niceness()).append(" |\n")
        .append("| load average 1/5/15 min, start | ").append(Machine.loadText(loadAtStart)).append(" |\n")
        .append("| load average 1 min, each round | ").append(roundLoads.stream()
            .map(v -> Stats.format(v, 2)).collect(Collectors.joining(", "))).append(" |\n")
        .append("| load average 1/5/15 min, end | ").append(Machine.loadText(loadAtEnd)).append(" |\n\n");
    md.append("The same plain-HTTP client app (`JdkHttpClientApp --tls plain`, JDK `HttpClient`) "
        + "calling the same plain-HTTP server app (`NettyServerApp --tls plain`, Netty's "
        + "HTTP codec; not the JDK `HttpServer`, whose separate header and body writes without "
        + "`TCP_NODELAY` made every keep-alive request wait out a delayed ACK, 45 ms, in all three "
        + "configurations) at `http://orders.shop:<port>/hello` (127.0.0.1 in the client JVM's hosts "
        + "file) in three configurations, interleaved (rotated order every round), so other jobs "
        + "on the machine slow all three alike:\n\n"
        + "- **plaintext**: no Lanyard;\n"
        + "- **upgraded**: both JVMs with the javaagent, `LANYARD_UPGRADE_INBOUND=<port>=strict` on "
        + "the server and `LANYARD_UPGRADE_OUTBOUND=<port>=strict` on the client (in-process mTLS "
        + "with SVIDs from SPIRE; strict on both sides, so a 200 proves the request went as mTLS);\n"
        + "- **sidecars**: no javaagent; the client calls a Lanyard sidecar's outbound listener, "
        + "which carries it as mTLS to a second sidecar's inbound listener in front of the server "
        + "(bound to loopback); the sidecars run with their documented JVM flags.\n\n"
        + "\"Added\" is the configuration's figure minus plaintext's in the same round (start-up: "
        + "the same trial), quoted as the median (min–max) over rounds.\n\n");

    md.append("## Against the target\n\nTarget (issue 19): upgraded in-process mTLS adds less than "
        + "the sidecar pair does.\n\n| what | upgraded (in-process) | sidecar pair | verdict |\n"
        + "|---|---|---|---|\n");
    compareRow(md, "warm latency p50 added, µs", f -> f.warmP50Us, 0);
    compareRow(md, "warm latency p99 added, µs", f -> f.warmP99Us, 0);
    List<Double> upTp = ratioToPlaintext(UPGRADED, f -> f.perSecond);
    List<Double> scTp = ratioToPlaintext(SIDECARS, f -> f.perSecond);
    double tpDifference = Stats.median(upTp) - Stats.median(scTp);
    md.append("| throughput ÷ plaintext | ").append(Stats.summary(upTp, 3)).append(" | ")
        .append(Stats.summary(scTp, 3)).append(" | ").append(tpDifference == 0 ? "equal"
            : tpDifference > 0 ? "in-process keeps more" : "sidecars keep more").append(" |\n");
    compareRow(md, "CPU per 1000 requests added (every process), ms", f -> f.cpuMsPerThousand, 1);
    compareRow(md, "start-up to first request added, ms", f -> f.startupMillis, 0);
    md.append("\n**Verdict on the target (warm latency added, p50 and p99): ")
        .append(targetMet() ? "met" : "missed").append(".**\n\n");

    md.append("## Figures per configuration\n\n| configuration | warm p50 µs | warm p99 µs | "
        + "requests/s (" + settings.concurrency() + " threads) | CPU ms per 1000 requests | "
        + "start-up to first request, ms | start-up CPU, s |\n|---|---|---|---|---|---|---|\n");
    figures.forEach((name, f) -> md.append("| ").append(name).append(" | ")
        .append(Stats.summary(f.warmP50Us, 0)).append(" | ")
        .append(Stats.summary(f.warmP99Us, 0)).append(" | ")
        .append(Stats.summary(f.perSecond, 0)).append(" | ")
        .append(Stats.summary(f.cpuMsPerThousand, 1)).append(" | ")
        .append(Stats.summary(f.startupMillis, 0)).append(" | ")
        .append(Stats.summary(f.startupCpuSeconds, 2)).append(" |\n"));
    List<Double> ready = figures(SIDECARS).sidecarReadyMillis;
    md.append("\nOf the sidecar pair's start-up, the fresh client-side sidecar's fork to ready was ")
        .append(Stats.summary(ready, 0)).append(" ms (the long-running sidecars logged ")
        .append(sidecarReadyMs.entrySet().stream().map(e -> e.getKey() + " "
            + Stats.format(e.getValue(), 0) + " ms").collect(Collectors.joining(", ")))
        .append(" start-to-ready).\n\n");

    md.append("## How it was measured\n\n"
        + "- **Warm latency**: a client JVM sends requests one after the other on one "
        + "kept-alive connection: " + settings.warmupRequests() + " for the JIT (the client JVM, "
        + "and with it the client's half of the in-process upgrade, is new every round, while the "
        + "servers and sidecars run the whole time and were warmed up with one such run before "
        + "the rounds), then " + settings.warmRequests() + " whose p50 and p99 the client prints "
        + "(`--warmup-requests`).\n"
        + "- **Throughput**: a client JVM with " + settings.concurrency() + " threads sharing one "
        + "`HttpClient` (kept-alive connections) sends requests until stopped; once it has done "
        + settings.warmupRequests() + ", its successful responses are counted over "
        + settings.windowMillis() + " ms, and the CPU time (user + system, `/proc/<pid>/stat`) of "
        + "the client, the server and, for the pair, both sidecars in the same window gives CPU per "
        + "1000 requests. On a 2-processor machine shared with other jobs throughput is bounded by "
        + "CPU, so CPU per request is the steadier figure.\n"
        + "- **Start-up**: `JdkHttpClientApp --requests 1`, fork to exit, against the running "
        + "server; one discarded trial, then " + settings.startupTrials() + " trials of the three in "
        + "a rotated order. For the pair, a fresh client-side sidecar is started and the client "
        + "once it is ready (the order Kubernetes starts a native sidecar and its application): "
        + "its figure is the sidecar's fork to ready plus the client's run, its CPU both "
        + "processes'. The upgraded client's figure includes the javaagent's start, its socket "
        + "hooks installed before `main` and its first SVID fetch from the SPIRE Agent.\n\n");

    md.append("## Resident memory after the load (KiB)\n\n| process | VmRSS |\n|---|---|\n");
    rssAfterKb.forEach((name, kb) -> md.append("| ").append(name).append(" | ").append(kb)
        .append(" |\n"));

    md.append("\n## Commands\n\n```\n");
    processCommands.forEach((name, command) -> md.append("# ").append(name).append("\n")
        .append(command.strip()).append("\n"));
    md.append("# warm-latency client (plaintext; upgraded: the same with -javaagent and "
        + "LANYARD_UPGRADE_OUTBOUND=<port>=strict; sidecars: the same at the client-side sidecar's "
        + "port)\n").append(warmClientCommand).append("\n# throughput client\n")
        .append(throughputClientCommand).append("\n# start-up client\n")
        .append(startupClientCommand).append("\n```\n");
    return md.toString();
  }

  /** A row comparing what each configuration adds to plaintext; the smaller addition wins. */
  private void compareRow(StringBuilder md, String what, Function<Figures, List<Double>> figure,
      int decimals) {
    List<Double> up = added(UPGRADED, figure);
    List<Double> sc = added(SIDECARS, figure);
    double difference = Stats.median(up) - Stats.median(sc);
    String verdict = difference == 0 ? "equal"
        : difference < 0 ? "in-process adds less" : "sidecars add less";
    md.append("| ").append(what).append(" | ").append(signed(up, decimals)).append(" | ")
        .append(signed(sc, decimals)).append(" | ").append(verdict).append(" |\n");
  }

  /** This process's nice value (its children inherit it), from {@code /proc/self/stat}; "?" unread. */
  static String niceness() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      // Fields after the parenthesised command name: state is field 3, nice is field 19.
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** "median (min–max)" with a sign on the median: an addition can be negative under noise. */
  private static String signed(List<Double> values, int decimals) {
    String text = Stats.summary(values, decimals);
    return Stats.median(values) >= 0 ? "+" + text : text;
  }

  // ---------------------------------------------------------------- JSON

  String json() {
    ObjectNode json = Json.object();
    json.put("started", started.toString());
    json.put("command", settings.command());
    json.putObject("settings").put("rounds", settings.rounds())
        .put("warmup_requests", settings.warmupRequests())
        .put("warm_requests", settings.warmRequests()).put("window_ms", settings.windowMillis())
        .put("concurrency", settings.concurrency()).put("startup_trials", settings.startupTrials());
    ObjectNode machine = json.putObject("machine");
    machine.put("nproc", Machine.processors()).put("cpu", Machine.cpuModel())
        .put("mem_total_kb", Machine.memTotalKb()).put("kernel", Machine.kernel())
        .put("jdk", Machine.jdk()).put("spire", spireVersion).put("lanyard", revision)
        .put("javaagent_jar_sha256_prefix", agentJarSha256)
        .put("sidecar_jar_sha256_prefix", sidecarJarSha256);
    machine.set("load_start", Json.numbers(loadAtStart, 3));
    machine.set("load_rounds", Json.numbers(roundLoads, 3));
    machine.set("load_end", Json.numbers(loadAtEnd, 3));
    ObjectNode configs = json.putObject("configurations");
    figures.forEach((name, f) -> {
      ObjectNode entry = configs.putObject(name);
      entry.set("warm_p50_us", Json.numbers(f.warmP50Us, 0));
      entry.set("warm_p99_us", Json.numbers(f.warmP99Us, 0));
      entry.set("requests_per_second", Json.numbers(f.perSecond, 1));
      entry.set("cpu_ms_per_1000_requests", Json.numbers(f.cpuMsPerThousand, 2));
      entry.set("startup_ms", Json.numbers(f.startupMillis, 1));
      entry.set("startup_cpu_s", Json.numbers(f.startupCpuSeconds, 2));
      if (f.sidecarReadyMillis.stream().anyMatch(v -> !v.isNaN())) {
        entry.set("startup_sidecar_ready_ms", Json.numbers(f.sidecarReadyMillis, 1));
      }
    });
    ObjectNode added = json.putObject("added_to_plaintext");
    for (String config : List.of(UPGRADED, SIDECARS)) {
      ObjectNode entry = added.putObject(config);
      entry.set("warm_p50_us", Json.numbers(added(config, f -> f.warmP50Us), 0));
      entry.set("warm_p99_us", Json.numbers(added(config, f -> f.warmP99Us), 0));
      entry.set("throughput_ratio", Json.numbers(ratioToPlaintext(config, f -> f.perSecond), 3));
      entry.set("cpu_ms_per_1000_requests", Json.numbers(added(config, f -> f.cpuMsPerThousand), 2));
      entry.set("startup_ms", Json.numbers(added(config, f -> f.startupMillis), 1));
    }
    json.put("target", "upgraded in-process mTLS adds less warm latency (p50 and p99) than the sidecar pair");
    json.put("target_met", targetMet());
    ObjectNode ready = json.putObject("sidecar_start_to_ready_ms");
    sidecarReadyMs.forEach((name, ms) -> ready.put(name, Json.number(ms, 0)));
    ObjectNode rss = json.putObject("rss_after_load_kb");
    rssAfterKb.forEach(rss::put);
    ObjectNode commands = json.putObject("commands");
    processCommands.forEach((name, command) -> commands.put(name, command.strip()));
    commands.put("warm_client_plaintext", warmClientCommand)
        .put("throughput_client_plaintext", throughputClientCommand)
        .put("startup_client_plaintext", startupClientCommand);
    return Json.write(json);
  }
}
