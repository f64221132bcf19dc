package dev.lanyard.bench;

import dev.lanyard.bench.AgentBenchProcesses.Config;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measurement 1 of {@link JavaagentBench}: start-up, with and without the javaagent, in
 * interleaved pairs of whole processes (a trivial main; the first mTLS request).
 */
final class StartupPairs {
  private final JavaagentBench.Settings settings;
  private final Report report;
  private final AgentBenchProcesses processes;

  StartupPairs(JavaagentBench.Settings settings, Report report, AgentBenchProcesses processes) {
    this.settings = settings;
    this.report = report;
    this.processes = processes;
  }

  void run(SpireCluster spire, List<Config> configs) {
    Config agent = configs.get(0);
    Config keystore = configs.get(1);
    Map<String, String> helloAgentEnv = new LinkedHashMap<>(AgentBenchProcesses.agentEnv(spire, null));
    List<String> helloWith = JvmProcess.builder("hello-javaagent").gid(AgentBenchProcesses.STARTUP_GID)
        .javaagent(processes.agentJar).classpath(AgentBenchProcesses.BENCH_CLASSES).mainClass(Hello.class.getName()).command();
    List<String> helloWithout = JvmProcess.builder("hello").gid(AgentBenchProcesses.STARTUP_GID)
        .classpath(AgentBenchProcesses.BENCH_CLASSES).mainClass(Hello.class.getName()).command();
    report.helloCommand = processes.display(helloWith);
    report.hello = interleave("hello", helloWith, helloAgentEnv, helloWithout, Map.of(),
        output -> output.contains("hello"));

    List<String> firstWith = agent.clientCommand("first-request-javaagent", 1, 1, false);
    List<String> firstWithout = keystore.clientCommand("first-request-keystore", 1, 1, false);
    report.firstRequestCommand = processes.display(firstWith);
    report.firstRequest = interleave("first-request", firstWith, agent.clientEnv, firstWithout,
        keystore.clientEnv, output -> output.contains("SUMMARY ok=1 failed=0"));
  }

  /** A and B in turn, ABAB... after one discarded warm-up pair; every run must pass {@code ok}. */
  private Report.Pair interleave(String name, List<String> a, Map<String, String> aEnv,
      List<String> b, Map<String, String> bEnv, java.util.function.Predicate<String> ok) {
    Report.Pair pair = new Report.Pair();
    for (int i = -1; i < settings.startupPairs(); i++) {
      // Alternate which goes first, so neither always runs right after the other's exit.
      boolean aFirst = i % 2 == 0;
      TimedRun ra = null;
      TimedRun rb = null;
      for (int k = 0; k < 2; k++) {
        if ((k == 0) == aFirst) {
          ra = processes.timed(name + "-a", a, aEnv);
          AgentBenchProcesses.check(ra, ok);
        } else {
          rb = processes.timed(name + "-b", b, bEnv);
          AgentBenchProcesses.check(rb, ok);
        }
      }
      if (i >= 0) {
        pair.aMillis.add(ra.wallMillis());
        pair.bMillis.add(rb.wallMillis());
        pair.aRssKb.add((double) ra.maxRssKb());
        pair.bRssKb.add((double) rb.maxRssKb());
        pair.aCpuSeconds.add(ra.cpuSeconds());
        pair.bCpuSeconds.add(rb.cpuSeconds());
      }
    }
    JavaagentBench.log(name + ": with javaagent " + Stats.summary(pair.aMillis, 0) + " ms, without "
        + Stats.summary(pair.bMillis, 0) + " ms, added "
        + Stats.summary(Stats.differences(pair.aMillis, pair.bMillis), 0) + " ms; CPU added "
        + Stats.summary(Stats.differences(pair.aCpuSeconds, pair.bCpuSeconds), 2) + " s");
    return pair;
  }
}
