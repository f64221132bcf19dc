package dev.lanyard.bench;

import dev.lanyard.bench.PlaintextSetups.Config;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 19's start-up row, two javaagent jars side by side: the upgraded plain-HTTP client
 * ({@code JdkHttpClientApp --tls plain --requests 1}, {@code LANYARD_UPGRADE_OUTBOUND=<port>=strict})
 * fork to exit with a baseline jar and with this build's, and the same client without Lanyard
 * against a plain server, in a rotated order per trial after one discarded trial, against a real
 * SPIRE and an upgraded server started once. Then one run per jar with {@code -Xlog:class+load}:
 * the classes each loads from itself, by library. Run by {@code bench/upgrade-startup.sh}.
 */
public final class UpgradeStartupBench {
  private static final Pattern LOADED = Pattern.compile("\\]\\s+(\\S+) source: (.*)");
  private static final Pattern FIRST = Pattern.compile("p50_us=(\\d+)");

  private UpgradeStartupBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchArgs.options(args);
    Path baseline = Path.of(options.get("baseline-jar")).toAbsolutePath();
    // The client's "this" jar; by default the built one (a snapshot, as the server's).
    String agentJar = options.get("agent-jar");
    Path out = Path.of(options.getOrDefault("out", "bench/results"));
    int trials = Integer.parseInt(options.getOrDefault("trials", "8"));
    String command = options.getOrDefault("command", "bench/upgrade-startup.sh");
    BenchArgs.requireBuilt("bench/upgrade-startup.sh", List.of(baseline,
        AgentBenchProcesses.BUILT_AGENT_JAR, AgentBenchProcesses.BUILT_COMPAT.resolve("classpath.txt"),
        PlaintextSetups.builtSidecarJar()));
    List<String> loads = new ArrayList<>(List.of("start " + Machine.loadText(Machine.loadAverage())));
    Map<String, List<double[]>> samples = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> classes = new LinkedHashMap<>();
    String thisJar;
    try (AgentBenchProcesses processes = new AgentBenchProcesses();
        SpireCluster spire = SpireCluster.start(
            SpireOptions.builder().svidTtl(Duration.ofMinutes(30)).build());
        PlaintextSetups setups = new PlaintextSetups(processes)) {
      thisJar = agentJar != null ? Path.of(agentJar).toAbsolutePath().toString()
          : processes.agentJar.toString();
      String serverId = SidecarSetups.register(spire, AgentBenchProcesses.SERVER_GID, "/ns/bench/sa/server");
      String clientId = SidecarSetups.register(spire, AgentBenchProcesses.CLIENT_GID, "/ns/bench/sa/client");
      Config plaintext = setups.plaintext();
      Config upgraded = setups.upgraded(spire, serverId, clientId);
      Map<String, Run> variants = new LinkedHashMap<>();
      variants.put("plaintext", new Run(plaintext, null));
      variants.put("baseline", new Run(upgraded, baseline.toString()));
      variants.put("this", new Run(upgraded, thisJar));
      List<String> names = new ArrayList<>(variants.keySet());
      for (int trial = -1; trial < trials; trial++) {
        StringBuilder line = new StringBuilder("trial " + (trial + 1));
        for (int k = 0; k < names.size(); k++) {
          String name = names.get(Math.floorMod(k + trial, names.size()));
          TimedRun run = variants.get(name).run(processes, setups, name, List.of());
          Matcher first = FIRST.matcher(run.output());
          double firstMs = first.find() ? Long.parseLong(first.group(1)) / 1000.0 : Double.NaN;
          if (trial >= 0) {
            samples.computeIfAbsent(name, n -> new ArrayList<>())
                .add(new double[] {run.wallMillis(), run.cpuSeconds(), firstMs});
          }
          line.append("; ").append(name).append(' ').append(Math.round(run.wallMillis())).append(" ms");
        }
        loads.add(line + " (load " + Machine.loadText(Machine.loadAverage()) + ")");
        JavaagentBench.log(line.toString());
      }
      for (String name : List.of("baseline", "this")) {
        Path log = processes.log(name + "-class-load");
        variants.get(name).run(processes, setups, name + "-classes",
            List.of("-Xlog:class+load=info:file=" + log));
        String jar = variants.get(name).jar;
        classes.put(name, byLibrary(log, jar));
      }
    }
    loads.add("end " + Machine.loadText(Machine.loadAverage()));
    Path written = write(out, command, baseline, agentJar, loads, samples, classes);
    JavaagentBench.log("results: " + written);
  }

  /** One variant: the client configuration and the javaagent jar it runs with (null: none). */
  private record Run(Config config, String jar) {
    TimedRun run(AgentBenchProcesses processes, PlaintextSetups setups, String name,
        List<String> jvmArgs) {
      List<String> command = new ArrayList<>();
      for (String part : setups.clientCommand(config, name, 1, 1, 0)) {
        if (part.startsWith("-javaagent:")) {
          command.add("-javaagent:" + jar);
          command.addAll(jvmArgs);
        } else {
          command.add(part);
        }
      }
      return AgentBenchProcesses.check(processes.timed(name, command, config.clientEnv()),
          output -> output.contains("SUMMARY ok=1 failed=0"));
    }
  }

  private static Map<String, Integer> byLibrary(Path log, String jar) throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    for (String line : Files.readAllLines(log)) {
      Matcher loaded = LOADED.matcher(line);
      if (!loaded.find() || !loaded.group(2).contains(jar)) {
        continue;
      }
      String name = loaded.group(1);
      String library = name.startsWith("net.bytebuddy.") ? "ByteBuddy"
          : name.startsWith("dev.lanyard.shaded.io.netty.") ? "Netty (shaded, Workload API client)"
          : name.startsWith("com.google.protobuf.") ? "protobuf"
          : name.startsWith("io.prometheus.") ? "Prometheus client"
          : name.startsWith("io.spiffe.") ? "java-spiffe"
          : name.startsWith("dev.lanyard.") ? "Lanyard" : "other";
      counts.merge(library, 1, Integer::sum);
      counts.merge("total", 1, Integer::sum);
    }
    return counts;
  }

  private static Path write(Path out, String command, Path baseline, String thisJar,
      List<String> loads,
      Map<String, List<double[]>> samples, Map<String, Map<String, Integer>> classes)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Start-up of the upgraded plain-HTTP client, two javaagent jars (")
        .append(LocalDate.now()).append(")\n\nCommand: `").append(command).append("`\n\n")
        .append("Machine: ").append(Machine.processors()).append(" processors (")
        .append(Machine.cpuModel()).append("), ").append(Machine.jdk()).append(". Baseline jar: `")
        .append(baseline).append("`; this jar: `").append(thisJar == null
            ? "javaagent/target/lanyard-javaagent.jar" : thisJar).append("`.\n\n")
        .append("`JdkHttpClientApp --tls plain --requests 1`, fork to exit (`/usr/bin/time`), ")
        .append("against `NettyServerApp --tls plain`: plaintext without Lanyard; baseline and this with ")
        .append("the jar, `LANYARD_UPGRADE_OUTBOUND=<port>=strict`, `LANYARD_ADMIN_ADDRESS=off`, ")
        .append("against the server upgraded by the built jar (`LANYARD_UPGRADE_INBOUND=<port>=strict`). ")
        .append("Rotated order per trial after one discarded trial; median (min–max) of the per-trial ")
        .append("figures. \"first request\" is the client's own time for its one request (from before ")
        .append("`HttpClient.newHttpClient()` to the answer).\n\nLoad average (1, 5, 15 min):\n\n```\n")
        .append(String.join("\n", loads)).append("\n```\n\n")
        .append("| variant | wall, ms | CPU, s | first request, ms | wall added vs plaintext, ms | CPU added, s |\n")
        .append("|---|---|---|---|---|---|\n");
    List<double[]> plain = samples.get("plaintext");
    for (Map.Entry<String, List<double[]>> entry : samples.entrySet()) {
      List<double[]> rows = entry.getValue();
      md.append("| ").append(entry.getKey()).append(" | ").append(summary(rows, 0, 0))
          .append(" | ").append(summary(rows, 1, 2)).append(" | ").append(summary(rows, 2, 0))
          .append(" | ").append(Stats.summary(Stats.differences(column(rows, 0), column(plain, 0)), 0))
          .append(" | ").append(Stats.summary(Stats.differences(column(rows, 1), column(plain, 1)), 2))
          .append(" |\n");
    }
    md.append("| **this − baseline** | ")
        .append(Stats.summary(Stats.differences(column(samples.get("this"), 0),
            column(samples.get("baseline"), 0)), 0)).append(" | ")
        .append(Stats.summary(Stats.differences(column(samples.get("this"), 1),
            column(samples.get("baseline"), 1)), 2)).append(" | ")
        .append(Stats.summary(Stats.differences(column(samples.get("this"), 2),
            column(samples.get("baseline"), 2)), 0)).append(" | | |\n\n")
        .append("## Classes each jar loads from itself, to the first request (`-Xlog:class+load`)\n\n")
        .append("| library | baseline | this |\n|---|---|---|\n");
    java.util.Set<String> libraries = new java.util.TreeSet<>();
    classes.values().forEach(counts -> libraries.addAll(counts.keySet()));
    libraries.remove("total");
    for (String library : libraries) {
      md.append("| ").append(library).append(" | ")
          .append(classes.get("baseline").getOrDefault(library, 0)).append(" | ")
          .append(classes.get("this").getOrDefault(library, 0)).append(" |\n");
    }
    md.append("| **total** | **").append(classes.get("baseline").getOrDefault("total", 0))
        .append("** | **").append(classes.get("this").getOrDefault("total", 0)).append("** |\n");
    Files.createDirectories(out);
    Path file = out.resolve("upgrade-startup-" + LocalDate.now() + ".md");
    Files.writeString(file, md);
    return file;
  }

  private static List<Double> column(List<double[]> rows, int index) {
    List<Double> values = new ArrayList<>();
    rows.forEach(row -> values.add(row[index]));
    return values;
  }

  private static String summary(List<double[]> rows, int index, int decimals) {
    return Stats.summary(column(rows, index), decimals);
  }
}
