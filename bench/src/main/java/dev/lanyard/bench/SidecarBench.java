package dev.lanyard.bench;

import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The sidecar against ghostunnel and a plaintext baseline, on a real SPIRE server and SPIRE Agent,
 * every configuration in front of the same backend and driven by the same {@code wrk}:
 *
 * <pre>
 * plaintext:  wrk → backend
 * ghostunnel: wrk → ghostunnel client ══mTLS══▶ ghostunnel server → backend
 * sidecar:    wrk → sidecar (static outbound) ══mTLS══▶ sidecar (inbound) → backend
 * </pre>
 *
 * wrk cannot present a client certificate, so each mTLS set-up is a pair of the same proxy, one on
 * each side, exactly as two meshed pods would run it. Configurations are interleaved over rounds
 * (rotated order) and compared round by round. Also: CPU per 1000 requests and RSS of the proxy
 * processes, new connections per second (wrk with {@code Connection: close}), and how soon a
 * sidecar is ready once SPIRE serves its SVID. Run by {@code bench/sidecar.sh}.
 */
public final class SidecarBench {
  /** The JVM flags the sidecar README documents (and the webhook's sidecar container uses). */
  static final List<String> DOCUMENTED_FLAGS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx32m",
      "-Xss256k", "-XX:MaxDirectMemorySize=64m", "-XX:TrimNativeHeapInterval=1000");
  /** The same plus C1-only compilation: what giving up the optimizing compiler saves and costs. */
  static final List<String> C1_FLAGS = Stream.concat(DOCUMENTED_FLAGS.stream(),
      Stream.of("-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=16m", "-XX:CICompilerCount=1"))
      .toList();

  private static final Path SIDECAR_JAR = Path.of("sidecar-proxy/target/lanyard-sidecar.jar").toAbsolutePath();
  static final Path COMPAT = Path.of("compat-apps/target").toAbsolutePath();
  static final int SERVER_GID = 6711;
  static final int CLIENT_GID = 6712;
  static final int READY_GID_BASE = 6720;
  /** The warm-up before the rounds: keep-alive, then runs of a new connection per request. */
  static final int WARM_UP_KEEP_ALIVE_SECONDS = 15;
  static final int WARM_UP_NEW_CONNECTION_RUNS = 4;
  static final int WARM_UP_NEW_CONNECTION_SECONDS = 5;

  private final Settings settings;
  private final SidecarReport report;
  private final TempDir work = TempDir.create("lanyard-sidecar-bench-");
  private final Path sidecarJar;
  /** Null without {@code --baseline-jar}. */
  private final Path baselineJar;
  private final Path logs;

  /**
   * {@code baselineJar}: another sidecar build ({@code --baseline-jar PATH}, optional) measured in
   * the same rounds as configuration {@code sidecar-baseline}, so a change is compared with what it
   * replaces side by side instead of across runs on a machine whose load varies.
   */
  record Settings(String command, Path out, int rounds, int seconds, int connections, int threads,
      int readyTrials, Path baselineJar) {
    static Settings parse(String[] args) {
      Map<String, String> values = BenchArgs.options(args);
      return new Settings(values.getOrDefault("command", "bench/sidecar.sh"),
          Path.of(values.getOrDefault("out", "bench/results")),
          Integer.parseInt(values.getOrDefault("rounds", "5")),
          Integer.parseInt(values.getOrDefault("seconds", "8")),
          Integer.parseInt(values.getOrDefault("connections", "16")),
          Integer.parseInt(values.getOrDefault("threads", "1")),
          Integer.parseInt(values.getOrDefault("ready-trials", "4")),
          values.containsKey("baseline-jar") ? Path.of(values.get("baseline-jar")) : null);
    }
  }

  /** One set-up: where wrk connects, and the proxy processes in the path (client side first). */
  record Config(String name, int port, List<SidecarChild> proxies, String serverAdmin) {}

  private SidecarBench(Settings settings) throws IOException {
    this.settings = settings;
    this.report = new SidecarReport(settings);
    this.logs = work.dir("logs");
    // A copy: a rebuild during the run must not change what is measured.
    this.sidecarJar = Files.copy(SIDECAR_JAR, work.dir("snapshot").resolve("lanyard-sidecar.jar"));
    this.baselineJar = settings.baselineJar() == null ? null
        : Files.copy(settings.baselineJar(), work.dir("snapshot").resolve("baseline-sidecar.jar"));
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    BenchArgs.requireBuilt("bench/sidecar.sh", List.of(SIDECAR_JAR, COMPAT.resolve("classpath.txt")));
    SidecarBench bench = new SidecarBench(settings);
    try {
      bench.run();
    } finally {
      bench.work.close();
    }
  }

  private void run() throws Exception {
    report.loadAtStart = Machine.loadAverage();
    report.revision = Revision.of("sidecar-proxy");
    report.sidecarJarSha256 = Machine.sha256(sidecarJar);
    if (baselineJar != null) {
      report.baselineJar = settings.baselineJar() + " (SHA-256 " + Machine.sha256(baselineJar) + ")";
    }
    report.ghostunnelVersion = Machine.firstLine(List.of(Tools.require("ghostunnel").toString(), "--version"));
    report.wrkVersion = Machine.firstLine(List.of("wrk", "--version"));
    List<SidecarChild> children = new ArrayList<>();
    log("SPIRE: starting server and SPIRE Agent");
    try (SpireCluster spire = SpireCluster.start(
        SpireOptions.builder().svidTtl(Duration.ofMinutes(30)).build())) {
      Thread cleanup = new Thread(() -> children.forEach(SidecarChild::close), "bench-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        report.spireVersion = Machine.firstLine(List.of(Tools.require("spire-server").toString(), "--version"));
        String serverId = SidecarSetups.register(spire, SERVER_GID, "/ns/bench/sa/server");
        String clientId = SidecarSetups.register(spire, CLIENT_GID, "/ns/bench/sa/client");
        SidecarSetups setups = new SidecarSetups(report, logs, children);
        int backendPort = setups.startBackend();
        List<Config> configs = new ArrayList<>();
        configs.add(new Config("plaintext", backendPort, List.of(), null));
        configs.add(setups.ghostunnel(spire, backendPort, serverId, clientId));
        configs.add(setups.sidecarPair("sidecar", sidecarJar, DOCUMENTED_FLAGS, spire, backendPort,
            serverId, clientId));
        configs.add(setups.sidecarPair("sidecar-c1", sidecarJar, C1_FLAGS, spire, backendPort,
            serverId, clientId));
        if (baselineJar != null) {
          configs.add(setups.sidecarPair(SidecarReport.BASELINE, baselineJar, DOCUMENTED_FLAGS,
              spire, backendPort, serverId, clientId));
        }

        // Idle: everything started, nothing sent yet.
        SidecarChild.sleep(5_000);
        for (Config config : configs) {
          for (SidecarChild proxy : config.proxies()) {
            report.idleRssKb.put(proxy.name, proxy.rssKb());
          }
        }
        log("idle RSS (KiB): " + report.idleRssKb);
        new SidecarLoadRounds(settings, report).run(configs);
        new SidecarReadyTrials(settings, report, sidecarJar, logs).run(spire, backendPort);
      } finally {
        children.forEach(SidecarChild::close);
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
    report.loadAtEnd = Machine.loadAverage();
    Path written = report.write();
    log("results: " + written + " (and .json)");
  }

  static void log(String message) {
    System.out.println("bench: " + message);
  }
}
