package dev.lanyard.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The sidecar benchmark's results: Markdown for people, JSON with every raw sample for tools.
 * Comparisons are medians of round-by-round ratios (or differences), with min–max.
 */
final class SidecarReport {
  static final double RSS_IDLE_TARGET_KB = 64 * 1024;
  static final double READY_TARGET_MS = 1_000;

  /** One configuration, one value per round. */
  static final class Samples {
    final List<Double> perSecond = new ArrayList<>();
    final List<Double> p50Us = new ArrayList<>();
    final List<Double> p99Us = new ArrayList<>();
    final List<Double> cpuMsPer1000 = new ArrayList<>();
    final List<Double> connectionsPerSecond = new ArrayList<>();
    final List<Double> connectionP50Us = new ArrayList<>();
    final List<Double> connectionP99Us = new ArrayList<>();
    final List<Double> connectionCpuMsPer1000 = new ArrayList<>();
    final List<Double> fullHandshakesPerConnection = new ArrayList<>();
  }

  /** One configuration's warm-up runs, reported so that the cold cost is on record too. */
  static final class WarmUp {
    SidecarWrk keepAlive;
    final List<SidecarWrk> newConnectionRuns = new ArrayList<>();
  }

  record ReadyTrial(long registeredAfterStartMs, double servedAfterRegistrationMs,
      double readyAfterServedMs) {}

  private final SidecarBench.Settings settings;
  private final Instant started = Instant.now();
  double[] loadAtStart;
  double[] loadAtEnd;
  final List<Double> roundLoads = new ArrayList<>();
  String revision = "";
  String sidecarJarSha256 = "";
  /** The configuration {@code --baseline-jar} adds, and that jar; empty without it. */
  static final String BASELINE = "sidecar-baseline";
  String baselineJar = "";
  String spireVersion = "";
  String ghostunnelVersion = "";
  String wrkVersion = "";
  String backendCommand = "";
  String wrkKeepAlive = "";
  String wrkNewConnection = "";
  String readyCommand = "";
  final Map<String, String> commands = new LinkedHashMap<>();
  final Map<String, Samples> samples = new LinkedHashMap<>();
  final Map<String, WarmUp> warmUps = new LinkedHashMap<>();
  final Map<String, Long> idleRssKb = new LinkedHashMap<>();
  final Map<String, Long> loadRssKb = new LinkedHashMap<>();
  final Map<String, Double> startToReadyMs = new LinkedHashMap<>();
  final List<ReadyTrial> readyTrials = new ArrayList<>();

  SidecarReport(SidecarBench.Settings settings) {
    this.settings = settings;
  }

  Path write() throws IOException {
    Files.createDirectories(settings.out());
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(started.atOffset(ZoneOffset.UTC));
    Path markdown = settings.out().resolve("sidecar-" + date + ".md");
    Files.writeString(markdown, markdown());
    Files.writeString(settings.out().resolve("sidecar-" + date + ".json"), json());
    return markdown;
  }

  // ---------------------------------------------------------------- Markdown

  private String markdown() {
    Samples plain = samples.get("plaintext");
    Samples gt = samples.get("ghostunnel");
    Samples sc = samples.get("sidecar");
    Samples c1 = samples.get("sidecar-c1");
    StringBuilder md = new StringBuilder();
    md.append("# sidecar benchmarks, ").append(DateTimeFormatter.ISO_INSTANT.format(
        started.truncatedTo(ChronoUnit.SECONDS))).append("\n\n");
    md.append("Produced by `").append(settings.command()).append("` (knobs: rounds=")
        .append(settings.rounds()).append(", seconds=").append(settings.seconds())
        .append(", connections=").append(settings.connections()).append(", threads=")
        .append(settings.threads()).append(", ready-trials=").append(settings.readyTrials())
        .append(").\n\n");
    md.append("| machine | |\n|---|---|\n")
        .append("| processors (nproc) | ").append(Machine.processors()).append(" |\n")
        .append("| CPU | ").append(Machine.cpuModel()).append(" |\n")
        .append("| memory | ").append(Machine.memTotalKb() / 1024).append(" MiB |\n")
        .append("| kernel | ").append(Machine.kernel()).append(" |\n")
        .append("| JDK (sidecars and backend) | ").append(Machine.jdk()).append(" |\n")
        .append("| Lanyard | ").append(revision).append("; sidecar jar SHA-256 ")
        .append(sidecarJarSha256).append("… |\n")
        .append(baselineJar.isEmpty() ? "" : "| " + BASELINE + " | " + baselineJar + " |\n")
        .append("| SPIRE | ").append(spireVersion).append(" (real server and SPIRE Agent, SVID TTL 30 min) |\n")
        .append("| ghostunnel | ").append(ghostunnelVersion).append(" |\n")
        .append("| wrk | ").append(wrkVersion).append(" |\n")
        .append("| load average 1/5/15 min, start | ").append(Machine.loadText(loadAtStart)).append(" |\n")
        .append("| load average 1 min, each round | ").append(roundLoads.stream()
            .map(v -> Stats.format(v, 2)).collect(Collectors.joining(", "))).append(" |\n")
        .append("| load average 1/5/15 min, end | ").append(Machine.loadText(loadAtEnd)).append(" |\n\n");
    md.append("""
        Topologies (every mTLS set-up is a pair of the same proxy, as two meshed pods would run it,
        because wrk cannot present a client certificate):

        ```
        plaintext:  wrk → backend
        ghostunnel: wrk → ghostunnel client ══mTLS══▶ ghostunnel server → backend
        sidecar:    wrk → sidecar (LANYARD_OUTBOUND) ══mTLS══▶ sidecar (LANYARD_INBOUND) → backend
        ```

        All on loopback, on one shared machine: wrk, the backend (`NettyServerApp --tls plain`)
        and both proxies compete for the same processors, so a proxy that needs more CPU per
        request also gets fewer requests through; that is the comparison wanted. `sidecar` runs
        with the JVM flags the sidecar README documents; `sidecar-c1` adds C1-only compilation
        (`-XX:TieredStopAtLevel=1` and a smaller code cache), which saves some memory and costs
        throughput. Every configuration is warmed up (keep-alive, then runs of a new connection
        per request; see "Warm-up") before the rounds. Both proxies log one line per connection
        (their defaults). The sidecar's inbound parses HTTP/1.1 (to set `X-Lanyard-Peer-Id`);
        ghostunnel relays bytes. Each round runs every configuration in a rotated order;
        comparisons are medians of round-by-round ratios (min–max in brackets). At a fixed
        number of connections (closed loop), latency and throughput are two views of the same
        thing.

        """);

    md.append("## Against the targets\n\n| what | measured: median (min–max) | target | verdict |\n"
        + "|---|---|---|---|\n");
    List<Double> throughput = Stats.ratios(sc.perSecond, gt.perSecond);
    row(md, "requests/s (keep-alive), sidecar ÷ ghostunnel", Stats.summary(throughput, 3), "≥ 1.00",
        Stats.median(throughput) >= 1.0);
    // Both sit in front of the same backend in the same round, so comparing their p99 compares
    // the p99 they add; a difference from the plaintext p99 would import that run's noise too.
    List<Double> p99Ratio = Stats.ratios(sc.p99Us, gt.p99Us);
    row(md, "p99 latency (keep-alive), sidecar ÷ ghostunnel (same backend: compares the added p99)",
        Stats.summary(p99Ratio, 3) + " (added vs plaintext: sidecar "
        + Stats.summary(Stats.differences(sc.p99Us, plain.p99Us), 0) + " µs, ghostunnel "
        + Stats.summary(Stats.differences(gt.p99Us, plain.p99Us), 0) + " µs)", "≤ 1.00",
        Stats.median(p99Ratio) <= 1.0);
    long idleMax = idleRssKb.entrySet().stream().filter(e -> e.getKey().startsWith("sidecar-server")
        || e.getKey().startsWith("sidecar-client")).mapToLong(Map.Entry::getValue).max().orElse(-1);
    row(md, "RSS idle, sidecar with the documented flags (larger of the two)",
        Stats.format(idleMax / 1024.0, 1) + " MiB", "≤ 64 MiB", idleMax <= RSS_IDLE_TARGET_KB);
    List<Double> ready = readyTrials.stream().map(ReadyTrial::readyAfterServedMs).toList();
    row(md, "ready after the SVID is served (" + ready.size() + " trials)",
        Stats.summary(ready, 0) + " ms", "≤ 1000 ms (every trial)",
        !ready.isEmpty() && Stats.max(ready) <= READY_TARGET_MS);
    md.append("\n");

    md.append("## Keep-alive load\n\n`").append(wrkKeepAlive).append("` (port per configuration), ")
        .append(settings.rounds()).append(" rounds. CPU is user + system time of the proxy "
            + "processes (both sides) from `/proc/<pid>/stat`, per 1000 requests.\n\n")
        .append("| configuration | requests/s | p50, µs | p99, µs | added p50 vs plaintext, µs "
            + "| added p99, µs | proxy CPU per 1000 requests, ms |\n|---|---|---|---|---|---|---|\n");
    samples.forEach((name, s) -> md.append("| ").append(name).append(" | ")
        .append(Stats.summary(s.perSecond, 0)).append(" | ")
        .append(Stats.summary(s.p50Us, 0)).append(" | ")
        .append(Stats.summary(s.p99Us, 0)).append(" | ")
        .append(name.equals("plaintext") ? "–" : Stats.summary(Stats.differences(s.p50Us, plain.p50Us), 0)).append(" | ")
        .append(name.equals("plaintext") ? "–" : Stats.summary(Stats.differences(s.p99Us, plain.p99Us), 0)).append(" | ")
        .append(name.equals("plaintext") ? "–" : Stats.summary(s.cpuMsPer1000, 1)).append(" |\n"));
    md.append("""

        wrk corrects its latencies for coordinated omission: a request slower than the run's mean
        interval per connection also adds the samples of the requests it held up. So the first
        request of each connection, which waits for that connection's mTLS handshake (all of
        them at once when the run starts), weighs far more than one sample, and the keep-alive
        p99 largely measures how fast a proxy sets up a burst of new connections (see the
        sidecar README, "Benchmark").
        """);
    md.append("\nRatios, round by round:\n\n| ratio | requests/s | p50 | p99 | CPU per request |\n"
        + "|---|---|---|---|---|\n");
    ratioRow(md, "sidecar ÷ ghostunnel", sc, gt, true);
    ratioRow(md, "sidecar-c1 ÷ ghostunnel", c1, gt, true);
    ratioRow(md, "sidecar-c1 ÷ sidecar", c1, sc, true);
    Samples baseline = samples.get(BASELINE);
    if (baseline != null) {
      ratioRow(md, "sidecar ÷ " + BASELINE, sc, baseline, true);
      ratioRow(md, BASELINE + " ÷ ghostunnel", baseline, gt, true);
    }
    ratioRow(md, "sidecar ÷ plaintext", sc, plain, false);
    ratioRow(md, "ghostunnel ÷ plaintext", gt, plain, false);
    md.append("\n");

    md.append("## New connection per request\n\n`").append(wrkNewConnection).append("`: wrk "
        + "reconnects after every response, so each request is a new TCP connection to the "
        + "client-side proxy and a new mTLS connection between the proxies. \"Full handshakes per "
        + "connection\" is the server sidecar's `lanyard_handshakes_total{outcome=\"allowed\"}` "
        + "increase divided by the requests (below 1: the sidecar client resumed TLS sessions; "
        + "ghostunnel's counterpart is not observable here).\n\n")
        .append("| configuration | connections/s | p50, µs | p99, µs | proxy CPU per 1000 "
            + "connections, ms | full handshakes per connection |\n|---|---|---|---|---|---|\n");
    samples.forEach((name, s) -> md.append("| ").append(name).append(" | ")
        .append(Stats.summary(s.connectionsPerSecond, 0)).append(" | ")
        .append(Stats.summary(s.connectionP50Us, 0)).append(" | ")
        .append(Stats.summary(s.connectionP99Us, 0)).append(" | ")
        .append(name.equals("plaintext") ? "–" : Stats.summary(s.connectionCpuMsPer1000, 1)).append(" | ")
        .append(s.fullHandshakesPerConnection.isEmpty() ? "–"
            : Stats.summary(s.fullHandshakesPerConnection, 2)).append(" |\n"));
    List<Double> connRatio = Stats.ratios(sc.connectionsPerSecond, gt.connectionsPerSecond);
    List<Double> connRatioC1 = Stats.ratios(c1.connectionsPerSecond, gt.connectionsPerSecond);
    md.append("\nconnections/s, sidecar ÷ ghostunnel: ").append(Stats.summary(connRatio, 3))
        .append("; sidecar-c1 ÷ ghostunnel: ").append(Stats.summary(connRatioC1, 3));
    if (baseline != null) {
      md.append("; sidecar ÷ ").append(BASELINE).append(": ")
          .append(Stats.summary(Stats.ratios(sc.connectionsPerSecond, baseline.connectionsPerSecond), 3));
    }
    md.append("\n\n");

    md.append("## Warm-up\n\nThe runs before the rounds, in order (discarded from the "
        + "comparisons above). A JVM proxy starts slow and speeds up as its compiler compiles "
        + "the connection path; ghostunnel is compiled ahead of time.\n\n"
        + "| configuration | keep-alive, " + SidecarBench.WARM_UP_KEEP_ALIVE_SECONDS
        + " s: requests/s, p99 µs | connection per request, " + SidecarBench.WARM_UP_NEW_CONNECTION_RUNS
        + " runs of " + SidecarBench.WARM_UP_NEW_CONNECTION_SECONDS
        + " s: connections/s, run by run |\n|---|---|---|\n");
    warmUps.forEach((name, w) -> md.append("| ").append(name).append(" | ")
        .append(Stats.format(w.keepAlive.perSecond(), 0)).append(", ")
        .append(Stats.format(w.keepAlive.p99Us(), 0)).append(" | ")
        .append(w.newConnectionRuns.stream().map(r -> Stats.format(r.perSecond(), 0))
            .collect(Collectors.joining(" → "))).append(" |\n"));
    md.append("\n");

    md.append("## Memory (VmRSS from `/proc/<pid>/status`)\n\nIdle: 5 s after every proxy was "
        + "ready, before any request. Under load: the largest value sampled every 250 ms during "
        + "all measured runs.\n\n| process | idle, MiB | under load (max), MiB |\n|---|---|---|\n");
    idleRssKb.forEach((name, kb) -> md.append("| ").append(name).append(" | ")
        .append(Stats.format(kb / 1024.0, 1)).append(" | ")
        .append(Stats.format(loadRssKb.getOrDefault(name, -1L) / 1024.0, 1)).append(" |\n"));
    md.append("\n");

    md.append("## Ready\n\nA sidecar started **before** its workload is registered (LANYARD_STARTUP"
        + "=wait=120s,then=fail), registered after the delay shown; the SVID counts as served "
        + "when a `spire-agent api fetch x509` under the workload's gid that returned it started "
        + "(polled back to back); ready is the first `/ready` 200 (polled every 10 ms).\n\n"
        + "| trial | registered after start, ms | SPIRE served the SVID after registration, ms "
        + "| sidecar `/ready` 200 after that, ms |\n|---|---|---|---|\n");
    for (int i = 0; i < readyTrials.size(); i++) {
      ReadyTrial t = readyTrials.get(i);
      md.append("| ").append(i + 1).append(" | ").append(t.registeredAfterStartMs()).append(" | ")
          .append(Stats.format(t.servedAfterRegistrationMs(), 0)).append(" | ")
          .append(Stats.format(t.readyAfterServedMs(), 0)).append(" |\n");
    }
    md.append("\nWith the SVID already served, start to ready line (the sidecar's own count from "
        + "`main`, JVM start not included): ");
    md.append(startToReadyMs.entrySet().stream().map(e -> e.getKey() + " " + Stats.format(e.getValue(), 0) + " ms")
        .collect(Collectors.joining(", "))).append(".\n\n");

    md.append("## Commands\n\n");
    md.append("- backend: `").append(backendCommand).append("`\n");
    commands.forEach((name, command) -> md.append("- ").append(name).append(": `").append(command)
        .append("`\n"));
    md.append("- ready trials: `").append(readyCommand).append("`\n");
    return md.toString();
  }

  private static void ratioRow(StringBuilder md, String name, Samples a, Samples b, boolean cpu) {
    md.append("| ").append(name).append(" | ")
        .append(Stats.summary(Stats.ratios(a.perSecond, b.perSecond), 3)).append(" | ")
        .append(Stats.summary(Stats.ratios(a.p50Us, b.p50Us), 3)).append(" | ")
        .append(Stats.summary(Stats.ratios(a.p99Us, b.p99Us), 3)).append(" | ")
        .append(cpu ? Stats.summary(Stats.ratios(a.cpuMsPer1000, b.cpuMsPer1000), 3) : "–")
        .append(" |\n");
  }

  private static void row(StringBuilder md, String what, String measured, String target, boolean met) {
    md.append("| ").append(what).append(" | ").append(measured).append(" | ").append(target)
        .append(" | ").append(met ? "met" : "**missed**").append(" |\n");
  }


  // ---------------------------------------------------------------- JSON

  private String json() {
    ObjectNode json = Json.object();
    json.put("command", settings.command());
    json.putObject("settings").put("rounds", settings.rounds()).put("seconds", settings.seconds())
        .put("connections", settings.connections()).put("threads", settings.threads())
        .put("ready_trials", settings.readyTrials());
    ObjectNode machine = json.putObject("machine");
    machine.put("processors", Machine.processors()).put("cpu", Machine.cpuModel())
        .put("jdk", Machine.jdk()).put("lanyard", revision)
        .put("sidecar_jar_sha256_prefix", sidecarJarSha256).put("baseline_jar", baselineJar)
        .put("spire", spireVersion)
        .put("ghostunnel", ghostunnelVersion);
    machine.set("load_start", Json.numbers(loadAtStart, 3));
    machine.set("load_rounds", Json.numbers(roundLoads, 3));
    machine.set("load_end", Json.numbers(loadAtEnd, 3));
    json.set("documented_jvm_flags", Json.strings(SidecarBench.DOCUMENTED_FLAGS));
    ObjectNode sampled = json.putObject("samples");
    samples.forEach((name, s) -> {
      ObjectNode entry = sampled.putObject(name);
      entry.set("requests_per_second", Json.numbers(s.perSecond, 3));
      entry.set("p50_us", Json.numbers(s.p50Us, 3));
      entry.set("p99_us", Json.numbers(s.p99Us, 3));
      entry.set("proxy_cpu_ms_per_1000", Json.numbers(s.cpuMsPer1000, 3));
      entry.set("connections_per_second", Json.numbers(s.connectionsPerSecond, 3));
      entry.set("connection_p50_us", Json.numbers(s.connectionP50Us, 3));
      entry.set("connection_p99_us", Json.numbers(s.connectionP99Us, 3));
      entry.set("connection_proxy_cpu_ms_per_1000", Json.numbers(s.connectionCpuMsPer1000, 3));
      entry.set("full_handshakes_per_connection",
          Json.numbers(s.fullHandshakesPerConnection, 3));
    });
    ObjectNode warmUp = json.putObject("warm_up");
    warmUps.forEach((name, w) -> {
      ObjectNode entry = warmUp.putObject(name)
          .put("keep_alive_per_second", Json.number(w.keepAlive.perSecond(), 1))
          .put("keep_alive_p99_us", Json.number(w.keepAlive.p99Us(), 0));
      entry.set("new_connection_per_second", Json.numbers(w.newConnectionRuns.stream()
          .map(r -> r.perSecond()).collect(Collectors.toList()), 1));
    });
    ObjectNode idle = json.putObject("idle_rss_kb");
    idleRssKb.forEach(idle::put);
    ObjectNode load = json.putObject("load_rss_max_kb");
    loadRssKb.forEach(load::put);
    ObjectNode ready = json.putObject("start_to_ready_ms");
    startToReadyMs.forEach((name, ms) -> ready.put(name, Json.number(ms, 0)));
    ArrayNode trials = json.putArray("ready_trials");
    readyTrials.forEach(t -> trials.addObject()
        .put("registered_after_start_ms", t.registeredAfterStartMs())
        .put("served_after_registration_ms", Json.number(t.servedAfterRegistrationMs(), 1))
        .put("ready_after_served_ms", Json.number(t.readyAfterServedMs(), 1)));
    ObjectNode commandsJson = json.putObject("commands").put("backend", backendCommand)
        .put("wrk_keep_alive", wrkKeepAlive).put("wrk_new_connection", wrkNewConnection)
        .put("ready", readyCommand);
    commands.forEach(commandsJson::put);
    return Json.write(json);
  }
}
