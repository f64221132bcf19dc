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
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The results of one run, as Markdown for people and JSON (raw samples included) for tools. Every
 * comparison is a median of pair-by-pair (or round-by-round) ratios, never a ratio of medians
 * taken at different times.
 */
final class Report {
  static final double STARTUP_BUDGET_MS = 300;
  static final double HANDSHAKE_RATIO_TARGET = 0.90;
  static final double WARM_LATENCY_RATIO_TARGET = 1.05;

  /** Two commands run in turn: A is the javaagent, B the baseline. */
  static final class Pair {
    final List<Double> aMillis = new ArrayList<>();
    final List<Double> bMillis = new ArrayList<>();
    final List<Double> aRssKb = new ArrayList<>();
    final List<Double> bRssKb = new ArrayList<>();
    final List<Double> aCpuSeconds = new ArrayList<>();
    final List<Double> bCpuSeconds = new ArrayList<>();
  }

  /** One transport configuration, one sample per round. */
  static final class Transport {
    final List<Double> handshakesPerSecond = new ArrayList<>();
    final List<Double> handshakeP50Us = new ArrayList<>();
    final List<Double> warmP50Us = new ArrayList<>();
    final List<Double> warmP99Us = new ArrayList<>();
    final List<Double> warmPerSecond = new ArrayList<>();
  }

  /** One server JVM after the load. */
  static final class Memory {
    long rssBeforeGcKb;
    long rssAfterGcKb;
    long heapUsedAfterGcKb;
    long nmtCommittedKb;
    long loadedClasses;
  }

  private final JavaagentBench.Settings settings;
  private final Instant started = Instant.now();
  double[] loadAtStart;
  double[] loadAtEnd;
  final List<Double> roundLoads = new ArrayList<>();
  String spireVersion = "";
  String revision = "";
  String agentJarSha256 = "";
  String helloCommand = "";
  String firstRequestCommand = "";
  String transportClientCommand = "";
  String transportServerCommand = "";
  String warmClientCommand = "";
  Pair hello;
  Pair firstRequest;
  final Map<String, Transport> transport = new LinkedHashMap<>();
  final Map<String, Memory> memory = new LinkedHashMap<>();

  Report(JavaagentBench.Settings settings) {
    this.settings = settings;
  }

  /** Writes {@code javaagent-<date>.md} and {@code .json}; returns the Markdown file. */
  Path write() throws IOException {
    Files.createDirectories(settings.out());
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(started.atOffset(ZoneOffset.UTC));
    Path markdown = settings.out().resolve("javaagent-" + date + ".md");
    Files.writeString(markdown, markdown());
    Files.writeString(settings.out().resolve("javaagent-" + date + ".json"), json());
    return markdown;
  }

  // ---------------------------------------------------------------- Markdown

  private String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# javaagent benchmarks, ").append(DateTimeFormatter.ISO_INSTANT.format(
        started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))).append("\n\n");
    md.append("Produced by `").append(settings.command()).append("` (knobs: startup-pairs=")
        .append(settings.startupPairs()).append(", rounds=").append(settings.rounds())
        .append(", handshake-window-ms=").append(settings.handshakeWindowMillis())
        .append(", handshake-concurrency=").append(settings.handshakeConcurrency())
        .append(", warm-requests=").append(settings.warmRequests()).append(").\n\n");
    md.append("| machine | |\n|---|---|\n")
        .append("| processors (nproc) | ").append(Machine.processors()).append(" |\n")
        .append("| CPU | ").append(Machine.cpuModel()).append(" |\n")
        .append("| memory | ").append(Machine.memTotalKb() / 1024).append(" MiB |\n")
        .append("| kernel | ").append(Machine.kernel()).append(" |\n")
        .append("| JDK (every JVM of the run) | ").append(Machine.jdk()).append(" |\n")
        .append("| Lanyard | ").append(revision).append("; javaagent jar SHA-256 ")
        .append(agentJarSha256).append("… |\n")
        .append("| SPIRE | ").append(spireVersion).append(" (real server and SPIRE Agent, SVID TTL 30 min) |\n")
        .append("| load average 1/5/15 min, start | ").append(Machine.loadText(loadAtStart)).append(" |\n")
        .append("| load average 1 min, each transport round | ").append(roundLoads.stream()
            .map(v -> Stats.format(v, 2)).collect(Collectors.joining(", "))).append(" |\n")
        .append("| load average 1/5/15 min, end | ").append(Machine.loadText(loadAtEnd)).append(" |\n\n");
    md.append("The machine is shared: a load average above the processor count means other jobs ran "
        + "alongside. Every comparison below is therefore side by side in this one run "
        + "(interleaved) and quoted as the median of pair-by-pair ratios or differences, with "
        + "min–max in brackets; absolute times are only indicative.\n\n");

    md.append("## Against the targets\n\n| what | measured: median (min–max) | target | verdict |\n"
        + "|---|---|---|---|\n");
    List<Double> helloAdded = Stats.differences(hello.aMillis, hello.bMillis);
    List<Double> firstAdded = Stats.differences(firstRequest.aMillis, firstRequest.bMillis);
    row(md, "start-up added, trivial main", "+" + Stats.summary(helloAdded, 0) + " ms",
        "≤ +300 ms", Stats.median(helloAdded) <= STARTUP_BUDGET_MS);
    row(md, "start-up added, time to first mTLS request (vs key store files)",
        "+" + Stats.summary(firstAdded, 0) + " ms", "≤ +300 ms",
        Stats.median(firstAdded) <= STARTUP_BUDGET_MS);
    Transport agent = transport.get("javaagent");
    Transport keystore = transport.get("keystore");
    Transport plain = transport.get("plain");
    List<Double> hsRatio = Stats.ratios(agent.handshakesPerSecond, keystore.handshakesPerSecond);
    List<Double> p50Ratio = Stats.ratios(agent.warmP50Us, keystore.warmP50Us);
    List<Double> p99Ratio = Stats.ratios(agent.warmP99Us, keystore.warmP99Us);
    row(md, "handshakes/s, javaagent ÷ key store", Stats.summary(hsRatio, 3), "≥ 0.90",
        Stats.median(hsRatio) >= HANDSHAKE_RATIO_TARGET);
    row(md, "warm latency p50, javaagent ÷ key store", Stats.summary(p50Ratio, 3), "≤ 1.05",
        Stats.median(p50Ratio) <= WARM_LATENCY_RATIO_TARGET);
    row(md, "warm latency p99, javaagent ÷ key store", Stats.summary(p99Ratio, 3), "≤ 1.05",
        Stats.median(p99Ratio) <= WARM_LATENCY_RATIO_TARGET);
    md.append("\n");

    md.append("## Start-up (whole process, fork to exit)\n\n")
        .append(settings.startupPairs()).append(" pairs after one discarded warm-up pair, the two "
            + "commands in turn (which one goes first alternates). CPU time and peak RSS (the "
            + "kernel's maximum resident set) come from `/usr/bin/time`; on a loaded machine the "
            + "CPU seconds added are steadier than wall time. Wall time to the first mTLS "
            + "request includes the javaagent's first SVID fetch from the SPIRE Agent.\n\n")
        .append("| workload | with javaagent, ms | without, ms | added, ms | ratio | CPU (user+sys) "
            + "added, s | peak RSS with, MiB | without, MiB | added, MiB |\n"
            + "|---|---|---|---|---|---|---|---|---|\n");
    startupRow(md, "trivial main (`Hello`), no TLS", hello);
    startupRow(md, "`JdkHttpClientApp --requests 1`: first mTLS request (without = key store files)",
        firstRequest);
    md.append("\n");

    md.append("## Handshakes and warm latency (same apps, three TLS set-ups)\n\n")
        .append("Server `NettyServerApp` (its default TLS provider, OpenSSL via tcnative); clients "
            + "`HttpsUrlConnectionApp` (handshakes) and `JdkHttpClientApp` (warm); all JVMs with "
            + "the javaagent (`--tls default`), with PKCS#12 key "
            + "store files (`--tls keystore`, EC P-256 like the SVIDs, client certificates "
            + "required), or plaintext (`--tls plain`). All three servers run throughout; each of "
            + the(settings.rounds()) + " rounds runs every configuration once, in a rotated order. "
            + "Handshakes: one client JVM, ").append(settings.handshakeConcurrency())
        .append(" threads, each request on a new connection (`disconnect()` after it), so a TCP "
            + "connect and a TLS handshake per request (which JSSE may resume from its session "
            + "cache, as it does for any application); after its first ")
        .append(JavaagentBench.HANDSHAKE_WARMUP).append(" requests its `OK` lines are counted "
            + "over a ").append(settings.handshakeWindowMillis()).append(" ms window, so JVM "
            + "start-up and the first SVID fetch are not in the rate (they are in the start-up "
            + "table); \"handshake request p50\" is the client's own p50 over its whole run. Warm: one client JVM, one `HttpClient`, one "
            + "thread, ").append(settings.warmRequests()).append(" requests on a kept-alive "
            + "connection; p50/p99 of the whole run as printed by the client.\n\n")
        .append("| configuration | handshakes/s | handshake request p50, µs | warm p50, µs "
            + "| warm p99, µs | warm requests/s |\n|---|---|---|---|---|---|\n");
    transport.forEach((name, t) -> md.append("| ").append(name).append(" | ")
        .append(Stats.summary(t.handshakesPerSecond, 1)).append(" | ")
        .append(Stats.summary(t.handshakeP50Us, 0)).append(" | ")
        .append(Stats.summary(t.warmP50Us, 0)).append(" | ")
        .append(Stats.summary(t.warmP99Us, 0)).append(" | ")
        .append(Stats.summary(t.warmPerSecond, 0)).append(" |\n"));
    md.append("\nRatios, round by round:\n\n| ratio | handshakes/s | warm p50 | warm p99 |\n"
        + "|---|---|---|---|\n");
    ratioRow(md, "javaagent ÷ key store", agent, keystore);
    ratioRow(md, "javaagent ÷ plaintext", agent, plain);
    ratioRow(md, "key store ÷ plaintext", keystore, plain);
    md.append("\n");

    md.append("## Memory of the server JVM after the load\n\n")
        .append("`NettyServerApp` with `-XX:NativeMemoryTracking=summary`, default heap sizing, "
            + "measured once all transport rounds are done: `VmRSS` from `/proc/<pid>/status` "
            + "after `jcmd <pid> GC.run`, heap used after that full GC (`GC.heap_info`), and "
            + "NMT's committed total (`VM.native_memory summary`).\n\n")
        .append("| configuration | RSS, MiB | heap used after GC, MiB | NMT committed, MiB "
            + "| loaded classes |\n|---|---|---|---|---|\n");
    memory.forEach((name, m) -> md.append("| ").append(name).append(" | ")
        .append(mib(m.rssAfterGcKb)).append(" | ").append(mib(m.heapUsedAfterGcKb)).append(" | ")
        .append(mib(m.nmtCommittedKb)).append(" | ").append(m.loadedClasses).append(" |\n"));
    Memory ma = memory.get("javaagent");
    Memory mk = memory.get("keystore");
    if (ma != null && mk != null) {
      md.append("| **added by the javaagent** (vs key store) | ")
          .append(signedMib(ma.rssAfterGcKb - mk.rssAfterGcKb)).append(" | ")
          .append(signedMib(ma.heapUsedAfterGcKb - mk.heapUsedAfterGcKb)).append(" | ")
          .append(signedMib(ma.nmtCommittedKb - mk.nmtCommittedKb)).append(" | ")
          .append(String.format(Locale.ROOT, "%+d", ma.loadedClasses - mk.loadedClasses))
          .append(" |\n");
    }
    md.append("\nOne sample per server (a snapshot, not a median): read it as an order of "
        + "magnitude.\n\n");

    md.append("## Commands\n\nEvery JVM runs under `setpriv --regid=<gid> --clear-groups` so the "
        + "SPIRE Agent's unix attestor gives it its entry (`unix:gid:<gid>`); the javaagent runs "
        + "get `SPIFFE_ENDPOINT_SOCKET` (the real SPIRE Agent), `LANYARD_ADMIN_ADDRESS=off`, "
        + "`LANYARD_STARTUP=wait=30s,then=fail` and, for the apps, `LANYARD_ALLOWED_PEERS` (the "
        + "other side's SPIFFE ID). Temporary paths differ from run to run.\n\n")
        .append("- start-up, trivial main (with javaagent): `").append(helloCommand).append("`\n")
        .append("- start-up, first request (with javaagent): `").append(firstRequestCommand)
        .append("`\n")
        .append("- server (javaagent): `").append(transportServerCommand).append("`\n")
        .append("- handshake client (javaagent; stopped after its window): `")
        .append(transportClientCommand).append("`\n")
        .append("- warm client (javaagent): `").append(warmClientCommand).append("`\n")
        .append("\nKey store and plaintext runs are the same commands without `-javaagent` and "
            + "with `--tls keystore --keystore <p12> --truststore <p12> --password changeit` or "
            + "`--tls plain` (and `http://`). The javaagent jar and compat classes are copied at "
            + "the start of the run, so a rebuild during it cannot change what is measured.\n");
    return md.toString();
  }

  private static String the(int rounds) {
    return Integer.toString(rounds);
  }

  private static void row(StringBuilder md, String what, String measured, String target,
      boolean met) {
    md.append("| ").append(what).append(" | ").append(measured).append(" | ").append(target)
        .append(" | ").append(met ? "met" : "**missed**").append(" |\n");
  }

  private static void startupRow(StringBuilder md, String name, Pair pair) {
    md.append("| ").append(name).append(" | ").append(Stats.summary(pair.aMillis, 0))
        .append(" | ").append(Stats.summary(pair.bMillis, 0)).append(" | ")
        .append(Stats.summary(Stats.differences(pair.aMillis, pair.bMillis), 0)).append(" | ")
        .append(Stats.summary(Stats.ratios(pair.aMillis, pair.bMillis), 2)).append(" | ")
        .append(Stats.summary(Stats.differences(pair.aCpuSeconds, pair.bCpuSeconds), 2))
        .append(" | ").append(Stats.format(Stats.median(pair.aRssKb) / 1024, 1)).append(" | ")
        .append(Stats.format(Stats.median(pair.bRssKb) / 1024, 1)).append(" | ")
        .append(Stats.summary(Stats.differences(pair.aRssKb, pair.bRssKb).stream()
            .map(v -> v / 1024).toList(), 1)).append(" |\n");
  }

  private static void ratioRow(StringBuilder md, String name, Transport a, Transport b) {
    md.append("| ").append(name).append(" | ")
        .append(Stats.summary(Stats.ratios(a.handshakesPerSecond, b.handshakesPerSecond), 3))
        .append(" | ").append(Stats.summary(Stats.ratios(a.warmP50Us, b.warmP50Us), 3))
        .append(" | ").append(Stats.summary(Stats.ratios(a.warmP99Us, b.warmP99Us), 3))
        .append(" |\n");
  }


  private static String mib(long kb) {
    return kb < 0 ? "?" : Stats.format(kb / 1024.0, 1);
  }

  private static String signedMib(long kb) {
    return String.format(Locale.ROOT, "%+.1f", kb / 1024.0);
  }

  // ---------------------------------------------------------------- JSON

  private String json() {
    ObjectNode json = Json.object();
    json.put("started", started.toString());
    json.put("command", settings.command());
    json.putObject("settings").put("startup_pairs", settings.startupPairs())
        .put("rounds", settings.rounds())
        .put("handshake_window_ms", settings.handshakeWindowMillis())
        .put("handshake_concurrency", settings.handshakeConcurrency())
        .put("warm_requests", settings.warmRequests());
    ObjectNode machine = json.putObject("machine");
    machine.put("nproc", Machine.processors()).put("cpu", Machine.cpuModel())
        .put("mem_total_kb", Machine.memTotalKb()).put("kernel", Machine.kernel())
        .put("jdk", Machine.jdk()).put("spire", spireVersion).put("lanyard", revision)
        .put("javaagent_jar_sha256_prefix", agentJarSha256);
    machine.set("load_start", Json.numbers(loadAtStart, 3));
    machine.set("load_rounds", Json.numbers(roundLoads, 3));
    machine.set("load_end", Json.numbers(loadAtEnd, 3));
    ObjectNode startup = json.putObject("startup");
    startup.set("hello", pair(hello));
    startup.set("first_request", pair(firstRequest));
    ObjectNode transports = json.putObject("transport");
    transport.forEach((name, t) -> {
      ObjectNode entry = transports.putObject(name);
      entry.set("handshakes_per_second", Json.numbers(t.handshakesPerSecond, 3));
      entry.set("handshake_p50_us", Json.numbers(t.handshakeP50Us, 3));
      entry.set("warm_p50_us", Json.numbers(t.warmP50Us, 3));
      entry.set("warm_p99_us", Json.numbers(t.warmP99Us, 3));
      entry.set("warm_per_second", Json.numbers(t.warmPerSecond, 3));
    });
    Transport agent = transport.get("javaagent");
    Transport keystore = transport.get("keystore");
    ObjectNode ratios = json.putObject("ratios_javaagent_vs_keystore");
    ratios.set("handshakes_per_second", Json.numbers(
        Stats.ratios(agent.handshakesPerSecond, keystore.handshakesPerSecond), 3));
    ratios.set("warm_p50", Json.numbers(Stats.ratios(agent.warmP50Us, keystore.warmP50Us), 3));
    ratios.set("warm_p99", Json.numbers(Stats.ratios(agent.warmP99Us, keystore.warmP99Us), 3));
    ObjectNode memories = json.putObject("memory");
    memory.forEach((name, m) -> memories.putObject(name).put("rss_before_gc_kb", m.rssBeforeGcKb)
        .put("rss_after_gc_kb", m.rssAfterGcKb).put("heap_used_after_gc_kb", m.heapUsedAfterGcKb)
        .put("nmt_committed_kb", m.nmtCommittedKb).put("loaded_classes", m.loadedClasses));
    json.putObject("commands").put("hello_javaagent", helloCommand)
        .put("first_request_javaagent", firstRequestCommand)
        .put("server_javaagent", transportServerCommand)
        .put("handshake_client_javaagent", transportClientCommand)
        .put("warm_client_javaagent", warmClientCommand);
    return Json.write(json);
  }

  private static ObjectNode pair(Pair pair) {
    ObjectNode json = Json.object();
    json.set("with_javaagent_ms", Json.numbers(pair.aMillis, 3));
    json.set("without_ms", Json.numbers(pair.bMillis, 3));
    json.set("with_javaagent_max_rss_kb", Json.numbers(pair.aRssKb, 3));
    json.set("without_max_rss_kb", Json.numbers(pair.bRssKb, 3));
    json.set("with_javaagent_cpu_s", Json.numbers(pair.aCpuSeconds, 3));
    json.set("without_cpu_s", Json.numbers(pair.bCpuSeconds, 3));
    return json;
  }
}
