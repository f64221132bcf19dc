package dev.lanyard.bench;

import dev.lanyard.bench.PlaintextSetups.Config;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Issue 19's benchmark: a plain-HTTP client and server without Lanyard, upgraded to mTLS inside
 * both JVMs by the javaagent ({@code LANYARD_UPGRADE_OUTBOUND} / {@code _INBOUND}), and carried
 * by two Lanyard sidecars instead, side by side in one run against a real SPIRE server and SPIRE
 * Agent: warm latency p50/p99, throughput and CPU per request ({@link PlaintextRounds}), and the
 * client's start-up to its first request ({@link PlaintextStartups}). Target: the in-process
 * upgrade adds less than the sidecar pair. Run from the repository root by
 * {@code bench/plaintext.sh}; writes {@code bench/results/plaintext-upgrade-<date>.md} and
 * {@code .json}.
 */
public final class PlaintextUpgradeBench {
  /** The knobs (defaults sized for about 5 minutes on a busy 2-processor machine). */
  record Settings(String command, Path out, int rounds, int warmupRequests, int warmRequests,
      int windowMillis, int concurrency, int startupTrials) {
    static Settings parse(String[] args) {
      Map<String, String> values = BenchArgs.options(args);
      return new Settings(values.getOrDefault("command", "bench/plaintext.sh"),
          Path.of(values.getOrDefault("out", "bench/results")),
          Integer.parseInt(values.getOrDefault("rounds", "4")),
          Integer.parseInt(values.getOrDefault("warmup-requests", "2000")),
          Integer.parseInt(values.getOrDefault("warm-requests", "3000")),
          Integer.parseInt(values.getOrDefault("window-ms", "4000")),
          Integer.parseInt(values.getOrDefault("concurrency", "2")),
          Integer.parseInt(values.getOrDefault("startup-trials", "4")));
    }
  }

  private PlaintextUpgradeBench() {}

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    BenchArgs.requireBuilt("bench/plaintext.sh", List.of(AgentBenchProcesses.BUILT_AGENT_JAR,
        AgentBenchProcesses.BUILT_COMPAT.resolve("classpath.txt"),
        PlaintextSetups.builtSidecarJar()));
    PlaintextReport report = new PlaintextReport(settings);
    report.loadAtStart = Machine.loadAverage();
    report.revision = Revision.of("javaagent", "sidecar-proxy", "spiffe-tls", "compat-apps");
    try (AgentBenchProcesses processes = new AgentBenchProcesses()) {
      report.agentJarSha256 = Machine.sha256(processes.agentJar);
      JavaagentBench.log("SPIRE: starting server and SPIRE Agent");
      try (SpireCluster spire = SpireCluster.start(
          SpireOptions.builder().svidTtl(Duration.ofMinutes(30)).build());
          PlaintextSetups setups = new PlaintextSetups(processes)) {
        report.sidecarJarSha256 = Machine.sha256(setups.sidecarJar());
        report.spireVersion = Machine.firstLine(List.of(
            Tools.require("spire-server").toString(), "--version"));
        // Interrupted (Ctrl-C), the JVM runs no finally blocks: stop the children and SPIRE anyway.
        Thread cleanup = new Thread(() -> {
          setups.close();
          spire.close();
        }, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
          run(settings, report, processes, spire, setups);
        } finally {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        }
      }
    }
    report.loadAtEnd = Machine.loadAverage();
    Path written = report.write();
    JavaagentBench.log("results: " + written + " (and .json); target "
        + (report.targetMet() ? "met" : "missed"));
  }

  private static void run(Settings settings, PlaintextReport report,
      AgentBenchProcesses processes, SpireCluster spire, PlaintextSetups setups) {
    String serverId = SidecarSetups.register(spire, AgentBenchProcesses.SERVER_GID, "/ns/bench/sa/server");
    String clientId = SidecarSetups.register(spire, AgentBenchProcesses.CLIENT_GID, "/ns/bench/sa/client");
    String serverSidecarId = SidecarSetups.register(spire, SidecarBench.SERVER_GID,
        "/ns/bench/sa/server-with-sidecar");
    String clientSidecarId = SidecarSetups.register(spire, SidecarBench.CLIENT_GID,
        "/ns/bench/sa/client-with-sidecar");
    List<Config> configs = List.of(setups.plaintext(), setups.upgraded(spire, serverId, clientId),
        setups.sidecars(spire, serverSidecarId, clientSidecarId));
    report.processCommands = setups.commands;
    report.sidecarReadyMs = setups.sidecarReadyMs;
    new PlaintextRounds(settings, report, processes, setups).run(configs);
    report.rssAfterKb = setups.rssKb();
    new PlaintextStartups(settings, report, processes, setups).run(configs);
  }
}
