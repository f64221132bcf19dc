package dev.lanyard.bench;

import dev.lanyard.bench.PlaintextSetups.Config;
import dev.lanyard.testkit.FreePorts;
import java.util.List;

/**
 * Start-up of {@link PlaintextUpgradeBench}'s three configurations: the time from process start
 * to the first successful request ({@code JdkHttpClientApp --requests 1}, fork to exit), in
 * trials of a rotated order after one discarded trial. The servers are already running. For the
 * sidecar pair a fresh client-side sidecar is started first and the client once it is ready, the
 * order Kubernetes starts a native sidecar and its application in: its figure is the sidecar's
 * fork-to-ready plus the client's run (CPU: both processes).
 */
final class PlaintextStartups {
  private final PlaintextUpgradeBench.Settings settings;
  private final PlaintextReport report;
  private final AgentBenchProcesses processes;
  private final PlaintextSetups setups;

  PlaintextStartups(PlaintextUpgradeBench.Settings settings, PlaintextReport report,
      AgentBenchProcesses processes, PlaintextSetups setups) {
    this.settings = settings;
    this.report = report;
    this.processes = processes;
    this.setups = setups;
  }

  void run(List<Config> configs) {
    for (int trial = -1; trial < settings.startupTrials(); trial++) {
      StringBuilder line = new StringBuilder();
      for (int k = 0; k < configs.size(); k++) {
        Config config = configs.get(Math.floorMod(k + trial, configs.size()));
        Startup startup = config.clientSidecar() ? throughFreshSidecar(config) : direct(config);
        if (trial >= 0) {
          PlaintextReport.Figures figures = report.figures(config.name());
          figures.startupMillis.add(startup.millis());
          figures.startupCpuSeconds.add(startup.cpuSeconds());
          figures.sidecarReadyMillis.add(startup.sidecarMillis());
        }
        line.append("; ").append(config.name()).append(' ')
            .append(Stats.format(startup.millis(), 0)).append(" ms");
      }
      JavaagentBench.log("start-up trial " + (trial + 1) + "/" + settings.startupTrials()
          + (trial < 0 ? " (discarded)" : "") + line);
    }
    report.startupClientCommand = setups.display(setups.clientCommand(configs.get(0),
        "first-request", 1, 1, 0));
  }

  /** {@code sidecarMillis}: the fresh client-side sidecar's fork to ready, NaN without one. */
  record Startup(double millis, double cpuSeconds, double sidecarMillis) {}

  private Startup direct(Config config) {
    TimedRun run = firstRequest(config, config.clientPort());
    return new Startup(run.wallMillis(), run.cpuSeconds(), Double.NaN);
  }

  private Startup throughFreshSidecar(Config config) {
    int port = FreePorts.next();
    long start = System.nanoTime();
    try (SidecarChild sidecar = setups.startClientSidecar("sidecar-client-startup", port)) {
      PlaintextSetups.readyMillis(sidecar);
      double readyMillis = (System.nanoTime() - start) / 1e6;
      TimedRun run = firstRequest(config, port);
      return new Startup(readyMillis + run.wallMillis(), sidecar.cpuSeconds() + run.cpuSeconds(),
          readyMillis);
    }
  }

  private TimedRun firstRequest(Config config, int port) {
    String name = "first-request-" + config.name();
    return AgentBenchProcesses.check(processes.timed(name,
        setups.clientCommand(config, name, port, 1, 1, 0), config.clientEnv()),
        out -> out.contains("SUMMARY ok=1 failed=0"));
  }
}
