package dev.lanyard.bench;

import dev.lanyard.bench.PlaintextSetups.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Warm latency and throughput of {@link PlaintextUpgradeBench}'s three configurations, in rounds
 * of a rotated order (so every configuration shares the machine's load alike):
 *
 * <ul>
 *   <li>warm latency: one client JVM, one thread, requests on one kept-alive connection: the
 *       first {@code --warmup-requests} for the JIT (the client's half of the in-process upgrade is
 *       new in every run, the sidecars are not), then {@code --warm-requests} whose p50 and p99 it
 *       prints ({@link TransportRounds#summary});
 *   <li>throughput: a client JVM with {@code --concurrency} threads sharing one keep-alive
 *       {@code HttpClient}, requests until stopped; its {@code OK} lines counted over a fixed
 *       window once it has done {@code --warmup-requests} of them (JVM start-up, the first SVID
 *       fetch, the first handshakes and the JIT's warm-up stay out), and the CPU every process of the
 *       configuration (client, server, sidecars) spent in that window.
 * </ul>
 */
final class PlaintextRounds {
  private final PlaintextUpgradeBench.Settings settings;
  private final PlaintextReport report;
  private final AgentBenchProcesses processes;
  private final PlaintextSetups setups;

  PlaintextRounds(PlaintextUpgradeBench.Settings settings, PlaintextReport report,
      AgentBenchProcesses processes, PlaintextSetups setups) {
    this.settings = settings;
    this.report = report;
    this.processes = processes;
    this.setups = setups;
  }

  void run(List<Config> configs) {
    JavaagentBench.log("rounds: warming up the servers and sidecars");
    for (Config config : configs) {
      warm(config, "warmup-" + config.name());
    }
    for (int round = 0; round < settings.rounds(); round++) {
      double[] load = Machine.loadAverage();
      report.roundLoads.add(load[0]);
      StringBuilder line = new StringBuilder();
      for (int k = 0; k < configs.size(); k++) {
        // Rotated every round: no configuration always runs first or last.
        Config config = configs.get((k + round) % configs.size());
        TransportRounds.Summary warm = warm(config, "warm-" + config.name());
        Throughput throughput = throughput(config);
        PlaintextReport.Figures figures = report.figures(config.name());
        figures.warmP50Us.add((double) warm.p50Us());
        figures.warmP99Us.add((double) warm.p99Us());
        figures.perSecond.add(throughput.perSecond());
        figures.cpuMsPerThousand.add(throughput.cpuMsPerThousand());
        line.append("; ").append(config.name()).append(" p50=").append(warm.p50Us())
            .append("us p99=").append(warm.p99Us()).append("us req/s=")
            .append(Stats.format(throughput.perSecond(), 0));
      }
      JavaagentBench.log("round " + (round + 1) + "/" + settings.rounds() + " (load " + load[0]
          + ")" + line);
    }
    Config first = configs.get(0);
    report.warmClientCommand = setups.display(warmCommand(first, "warm"));
    report.throughputClientCommand = setups.display(setups.clientCommand(first, "throughput", 0,
        settings.concurrency(), 0));
  }

  private List<String> warmCommand(Config config, String name) {
    return setups.clientCommand(config, name, settings.warmupRequests() + settings.warmRequests(),
        1, settings.warmupRequests());
  }

  private TransportRounds.Summary warm(Config config, String name) {
    TimedRun run = AgentBenchProcesses.check(processes.timed(name, warmCommand(config, name),
        config.clientEnv()),
        out -> TransportRounds.summary(out).failed() == 0);
    return TransportRounds.summary(run.output());
  }

  record Throughput(double perSecond, double cpuMsPerThousand) {}

  private Throughput throughput(Config config) {
    String name = "throughput-" + config.name();
    List<String> command = setups.clientCommand(config, name, 0, settings.concurrency(), 0);
    Path log = processes.log(name);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    TimedRun.cleanEnvironment(builder.environment());
    builder.environment().putAll(config.clientEnv());
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (okLines(log) < settings.warmupRequests()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(name + " did not reach " + settings.warmupRequests()
              + " requests:\n" + TimedRun.tail(TimedRun.read(log), 40));
        }
        SidecarChild.sleep(50);
      }
      List<Long> pids = new java.util.ArrayList<>(setups.serverSidePids(config));
      pids.add(process.pid()); // setpriv execs the JVM: this is the client JVM's pid
      double cpuBefore = cpu(pids);
      long before = okLines(log);
      long start = System.nanoTime();
      SidecarChild.sleep(settings.windowMillis());
      long after = okLines(log);
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpuSeconds = cpu(pids) - cpuBefore;
      process.destroy(); // SIGTERM: the client prints its SUMMARY from a shutdown hook
      process.waitFor(30, TimeUnit.SECONDS);
      String output = TimedRun.read(log);
      if (TransportRounds.summary(output).failed() != 0) {
        throw new IllegalStateException(name + " had failures:\n" + TimedRun.tail(output, 40));
      }
      long requests = after - before;
      return new Throughput(requests / seconds, cpuSeconds * 1000 / requests * 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      process.destroyForcibly();
    }
  }

  private static double cpu(List<Long> pids) {
    return pids.stream().mapToDouble(Machine::cpuSeconds).sum();
  }

  private static long okLines(Path log) {
    String text = TimedRun.read(log);
    long count = 0;
    for (int i = text.indexOf("OK status=200"); i >= 0; i = text.indexOf("OK status=200", i + 1)) {
      count++;
    }
    return count;
  }
}
