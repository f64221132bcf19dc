package dev.lanyard.bench;

import dev.lanyard.bench.AgentBenchProcesses.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measurement 2 of {@link JavaagentBench}: handshakes per second and warm latency of the three
 * configurations, in rounds of a rotated order.
 */
final class TransportRounds {
  private static final Pattern SUMMARY = Pattern.compile(
      "SUMMARY ok=(\\d+) failed=(\\d+) p50_us=(\\d+) p99_us=(\\d+) elapsed_ms=(\\d+)"
          + " per_second=([0-9.]+)");

  private final JavaagentBench.Settings settings;
  private final Report report;
  private final AgentBenchProcesses processes;

  TransportRounds(JavaagentBench.Settings settings, Report report, AgentBenchProcesses processes) {
    this.settings = settings;
    this.report = report;
    this.processes = processes;
  }

  void run(List<Config> configs) {
    JavaagentBench.log("transport: warming up the three servers");
    for (Config config : configs) {
      AgentBenchProcesses.check(processes.timed("warmup-" + config.name, config.clientCommand("warmup-" + config.name,
          settings.warmRequests(), 1, false), config.clientEnv), out -> summary(out).failed == 0);
    }
    for (int round = 0; round < settings.rounds(); round++) {
      double[] load = Machine.loadAverage();
      report.roundLoads.add(load[0]);
      for (int k = 0; k < configs.size(); k++) {
        // Rotate the order every round so no configuration always runs first or last.
        Config config = configs.get((k + round) % configs.size());
        Handshakes handshakes = handshakes(config);
        Summary warm = summary(AgentBenchProcesses.check(processes.timed("warm-" + config.name, config.clientCommand(
            "warm-" + config.name, settings.warmRequests(), 1, false), config.clientEnv),
            out -> summary(out).failed == 0).output());
        Report.Transport t = report.transport.computeIfAbsent(config.name,
            n -> new Report.Transport());
        t.handshakesPerSecond.add(handshakes.perSecond);
        t.handshakeP50Us.add((double) handshakes.summary.p50Us);
        t.warmP50Us.add((double) warm.p50Us);
        t.warmP99Us.add((double) warm.p99Us);
        t.warmPerSecond.add(warm.perSecond);
      }
      JavaagentBench.log("transport round " + (round + 1) + "/" + settings.rounds() + " (load " + load[0] + ")"
          + describeRound(round));
    }
    report.transportClientCommand = processes.display(configs.get(0).clientCommand("hs", 0,
        settings.handshakeConcurrency(), true));
    report.warmClientCommand = processes.display(configs.get(0).clientCommand("warm",
        settings.warmRequests(), 1, false));
    report.transportServerCommand = processes.display(configs.get(0).serverCommand);
  }

  record Handshakes(double perSecond, Summary summary) {}

  /**
   * Steady-state handshakes per second of one configuration, counted from outside: the client
   * runs until stopped, each request on a new connection; once it has printed
   * {@link JavaagentBench#HANDSHAKE_WARMUP} {@code OK} lines (the javaagent holds its SVID, the
   * JIT has seen the handshake) its {@code OK} lines are counted over a fixed window. So neither JVM start-up
   * nor the javaagent's first SVID fetch (measured by the start-up benchmark) is counted here.
   */
  private Handshakes handshakes(Config config) {
    List<String> command = config.clientCommand("hs-" + config.name, 0,
        settings.handshakeConcurrency(), true);
    Path log = processes.log("hs-" + config.name);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    TimedRun.cleanEnvironment(builder.environment());
    builder.environment().putAll(config.clientEnv);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (okLines(log) < JavaagentBench.HANDSHAKE_WARMUP) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("handshake client " + config.name + " did not reach "
              + JavaagentBench.HANDSHAKE_WARMUP + " requests:\n" + TimedRun.tail(TimedRun.read(log), 40));
        }
        sleepMillis(50);
      }
      long before = okLines(log);
      long start = System.nanoTime();
      sleepMillis(settings.handshakeWindowMillis());
      long after = okLines(log);
      double seconds = (System.nanoTime() - start) / 1e9;
      process.destroy(); // SIGTERM: the client prints its SUMMARY from a shutdown hook
      process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
      String output = TimedRun.read(log);
      Summary summary = summary(output);
      if (summary.failed != 0) {
        throw new IllegalStateException("handshake client " + config.name + " had failures:\n"
            + TimedRun.tail(output, 40));
      }
      return new Handshakes((after - before) / seconds, summary);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      process.destroyForcibly();
    }
  }

  private static long okLines(Path log) {
    String text = TimedRun.read(log);
    long count = 0;
    for (int i = text.indexOf("OK status="); i >= 0; i = text.indexOf("OK status=", i + 1)) {
      count++;
    }
    return count;
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private String describeRound(int round) {
    StringBuilder out = new StringBuilder();
    report.transport.forEach((name, t) -> out.append("; ").append(name).append(" hs/s=")
        .append(Stats.format(t.handshakesPerSecond.get(round), 1)).append(" p50=")
        .append(Stats.format(t.warmP50Us.get(round), 0)).append("us p99=")
        .append(Stats.format(t.warmP99Us.get(round), 0)).append("us"));
    return out.toString();
  }

  record Summary(long ok, long failed, long p50Us, long p99Us, double perSecond) {}

  static Summary summary(String output) {
    Matcher m = SUMMARY.matcher(output);
    Summary last = null;
    while (m.find()) {
      last = new Summary(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
          Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Double.parseDouble(m.group(6)));
    }
    if (last == null) {
      throw new IllegalStateException("no SUMMARY line in:\n" + TimedRun.tail(output, 40));
    }
    return last;
  }
}
