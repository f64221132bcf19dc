package dev.lanyard.bench;

import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The javaagent benchmarks, against a real SPIRE server and SPIRE Agent, every comparison side by
 * side in one run (interleaved, so a machine shared with other jobs slows every configuration
 * alike) and reported as pair-by-pair ratios:
 *
 * <ol>
 *   <li><b>Start-up</b>: a trivial main with and without {@code -javaagent}; and the time to the
 *       first mTLS request ({@code JdkHttpClientApp --requests 1}: javaagent SVID mTLS versus the
 *       same client with key store files). Wall time and peak RSS of the whole process.
 *   <li><b>Memory</b>: the same Netty server app after the load below, with the javaagent versus
 *       with key store files: RSS, heap used after a full GC, NMT committed total.
 *   <li><b>Transport</b>: {@code NettyServerApp} with {@code HttpsUrlConnectionApp} (handshakes
 *       per second: a new connection per request) and {@code JdkHttpClientApp} (warm-connection
 *       latency p50/p99: one client, one connection, one request at a time), in three
 *       configurations of the same apps: javaagent mTLS, key store mTLS, plaintext.
 * </ol>
 *
 * <p>Run from the repository root by {@code bench/run.sh}; writes
 * {@code bench/results/javaagent-<date>.md} and {@code .json}.
 */
public final class JavaagentBench {
  /** Requests a handshake client must have done before its window opens. */
  static final int HANDSHAKE_WARMUP = 200;

  private final Settings settings;
  private final Report report;
  private final AgentBenchProcesses processes;

  private JavaagentBench(Settings settings, AgentBenchProcesses processes) {
    this.settings = settings;
    this.report = new Report(settings);
    this.processes = processes;
  }

  /** The knobs, from {@code --name value} arguments (defaults sized for about 7 minutes on a busy 2-core machine). */
  record Settings(String command, Path out, int startupPairs, int rounds,
      int handshakeWindowMillis, int handshakeConcurrency, int warmRequests) {
    static Settings parse(String[] args) {
      Map<String, String> values = BenchArgs.options(args);
      return new Settings(values.getOrDefault("command", "bench/run.sh"),
          Path.of(values.getOrDefault("out", "bench/results")),
          Integer.parseInt(values.getOrDefault("startup-pairs", "8")),
          Integer.parseInt(values.getOrDefault("rounds", "4")),
          Integer.parseInt(values.getOrDefault("handshake-window-ms", "4000")),
          Integer.parseInt(values.getOrDefault("handshake-concurrency", "2")),
          Integer.parseInt(values.getOrDefault("warm-requests", "2000")));
    }
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    BenchArgs.requireBuilt("bench/run.sh", List.of(AgentBenchProcesses.BUILT_AGENT_JAR,
        AgentBenchProcesses.BUILT_COMPAT.resolve("classpath.txt"),
        AgentBenchProcesses.BENCH_CLASSES));
    try (AgentBenchProcesses processes = new AgentBenchProcesses()) {
      new JavaagentBench(settings, processes).run();
    }
  }

  private void run() throws Exception {
    report.loadAtStart = Machine.loadAverage();
    report.revision = Revision.of("javaagent", "spiffe-tls", "compat-apps");
    report.agentJarSha256 = Machine.sha256(processes.agentJar);
    log("SPIRE: starting server and SPIRE Agent");
    try (SpireCluster spire = SpireCluster.start(
        SpireOptions.builder().svidTtl(Duration.ofMinutes(30)).build())) {
      String serverId = AgentBenchProcesses.register(spire, AgentBenchProcesses.SERVER_GID, "/ns/bench/sa/server");
      String clientId = AgentBenchProcesses.register(spire, AgentBenchProcesses.CLIENT_GID, "/ns/bench/sa/client");
      String startupId = AgentBenchProcesses.register(spire, AgentBenchProcesses.STARTUP_GID, "/ns/bench/sa/startup");
      for (var entry : Map.of(AgentBenchProcesses.SERVER_GID, serverId,
          AgentBenchProcesses.CLIENT_GID, clientId, AgentBenchProcesses.STARTUP_GID, startupId)
          .entrySet()) {
        spire.awaitSvidForGid(entry.getKey(), entry.getValue(), Duration.ofSeconds(60));
      }
      report.spireVersion = Machine.firstLine(List.of(
          dev.lanyard.testkit.Tools.require("spire-server").toString(), "--version"));
      AgentBenchProcesses.Pki pki = processes.mintKeyStores();
      Map<String, String> serverAgentEnv = AgentBenchProcesses.agentEnv(spire, clientId);
      Map<String, String> clientAgentEnv = AgentBenchProcesses.agentEnv(spire, serverId);

      List<AgentBenchProcesses.Config> configs = new ArrayList<>();
      // Interrupted (Ctrl-C), the JVM runs no finally blocks: stop SPIRE and the servers anyway.
      Thread cleanup = new Thread(() -> {
        configs.forEach(config -> config.server.close());
        spire.close();
      }, "bench-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        processes.startConfig(configs, "javaagent", true, serverAgentEnv, clientAgentEnv,
            List.of("--tls", "default"), List.of("--tls", "default"), "https");
        processes.startConfig(configs, "keystore", false, Map.of(), Map.of(),
            List.of("--tls", "keystore", "--keystore", pki.server().toString(),
                "--truststore", pki.trust().toString(), "--password", AgentBenchProcesses.PASSWORD),
            List.of("--tls", "keystore", "--keystore", pki.client().toString(),
                "--truststore", pki.trust().toString(), "--password", AgentBenchProcesses.PASSWORD), "https");
        processes.startConfig(configs, "plain", false, Map.of(), Map.of(), List.of("--tls", "plain"),
            List.of("--tls", "plain"), "http");

        new StartupPairs(settings, report, processes).run(spire, configs);
        new TransportRounds(settings, report, processes).run(configs);
        ServerMemory.measure(report, configs);
      } finally {
        configs.forEach(config -> config.server.close());
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
    report.loadAtEnd = Machine.loadAverage();
    Path written = report.write();
    log("results: " + written + " (and .json)");
  }

  static void log(String line) {
    System.out.println("[" + DateTimeFormatter.ISO_LOCAL_TIME.format(
        Instant.now().atOffset(ZoneOffset.UTC)).substring(0, 8) + "] " + line);
  }
}
