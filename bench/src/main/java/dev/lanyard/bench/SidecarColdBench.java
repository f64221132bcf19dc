package dev.lanyard.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.stream.Stream;

/**
 * Cold against warm: each round starts a FRESH proxy pair per configuration (ghostunnel; the sidecar
 * on JDK 17 as the jre17 image ran it; on the sidecar image's JDK 25 without its AOT cache; on it
 * with the cache the image ships), then at once 15 s of a new connection per request (wrk,
 * {@code Connection: close}: the first 5 s and the next 10 s counted apart), then 10 s kept-alive,
 * then stops the pair. Configurations rotate inside each round; every figure is compared with
 * ghostunnel's of the same round. Run by {@code bench/sidecar-cold.sh}.
 */
public final class SidecarColdBench {
  static final String GHOSTUNNEL = "ghostunnel";
  /** The sidecar image's JDK, jar and cache as the images build laid them out for training. */
  private static final String IMAGE_ROOT = "images/target/aot/sidecar/root";
  private static final Path JDK17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
  private static final List<String> JDK25_FLAGS = Stream.concat(
      Stream.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
          "-Dio.netty.noUnsafe=false"),
      SidecarBench.DOCUMENTED_FLAGS.stream()).toList();

  record Jvm(String name, Path java, List<String> flags) {}

  /** One configuration in one round. */
  record Sample(String config, int round, double readyMs, double idleRssKb, double churnFirst5,
      double churnFirst15, double keepAlivePerSecond, double keepAliveP99Us, double loadRssKb,
      long errors) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchArgs.options(args);
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    int connections = Integer.parseInt(options.getOrDefault("connections", "16"));
    Path out = Path.of(options.getOrDefault("out", "bench/results"));
    String invoked = options.getOrDefault("command", "bench/sidecar-cold.sh");
    // --image-root: a copy of it, so an images rebuild during the run does not change what is measured.
    Path imageRoot = Path.of(options.getOrDefault("image-root", IMAGE_ROOT)).toAbsolutePath();
    Path jar = imageRoot.resolve("opt/lanyard/lanyard-sidecar.jar");
    Path java25 = imageRoot.resolve("opt/java/openjdk/bin/java");
    Path cache = imageRoot.resolve("opt/lanyard/lanyard-sidecar.aot");
    BenchArgs.requireBuilt("bench/sidecar-cold.sh (after ./mvnw -pl images -am package)",
        List.of(jar, java25, cache, JDK17));
    List<Jvm> jvms = List.of(
        new Jvm("sidecar-jdk17", JDK17, SidecarBench.DOCUMENTED_FLAGS),
        new Jvm("sidecar-jdk25", java25, JDK25_FLAGS),
        new Jvm("sidecar-jdk25-aot", java25,
            Stream.concat(Stream.of("-XX:AOTCache=" + cache), JDK25_FLAGS.stream()).toList()));
    List<String> configs = new ArrayList<>(List.of(GHOSTUNNEL));
    jvms.forEach(jvm -> configs.add(jvm.name()));

    double[] loadAtStart = Machine.loadAverage();
    List<double[]> loads = new ArrayList<>();
    List<Sample> samples = new ArrayList<>();
    Map<String, String> commands = new LinkedHashMap<>();
    try (TempDir work = TempDir.create("lanyard-sidecar-cold-");
        SpireCluster spire = SpireCluster.start(SpireOptions.builder().svidTtl(Duration.ofMinutes(30)).build())) {
      Path logs = work.dir("logs");
      List<SidecarChild> children = new ArrayList<>();
      SidecarReport scratch = new SidecarReport(SidecarBench.Settings.parse(new String[0]));
      SidecarSetups setups = new SidecarSetups(scratch, logs, children);
      String serverId = SidecarSetups.register(spire, SidecarBench.SERVER_GID, "/ns/bench/sa/server");
      String clientId = SidecarSetups.register(spire, SidecarBench.CLIENT_GID, "/ns/bench/sa/client");
      int backend = setups.startBackend();
      try {
        for (int round = 0; round < rounds; round++) {
          loads.add(Machine.loadAverage());
          for (int i = 0; i < configs.size(); i++) {
            String config = configs.get((i + round) % configs.size());
            List<SidecarChild> pair = new ArrayList<>();
            double readyMs;
            int port;
            if (config.equals(GHOSTUNNEL)) {
              SidecarBench.Config gt = setups.ghostunnel(spire, backend, serverId, clientId);
              pair.addAll(gt.proxies());
              port = gt.port();
              readyMs = Double.NaN;
            } else {
              Jvm jvm = jvms.stream().filter(j -> j.name().equals(config)).findFirst().orElseThrow();
              int mesh = FreePorts.next();
              port = FreePorts.next();
              long started = System.nanoTime();
              pair.add(startSidecar(jvm, "server", SidecarBench.SERVER_GID, jar, SidecarSetups.sidecarEnv(spire,
                  "127.0.0.1:" + FreePorts.next(), "LANYARD_INBOUND", mesh + ":" + backend,
                  "LANYARD_ALLOWED_PEERS", clientId), logs, commands));
              pair.add(startSidecar(jvm, "client", SidecarBench.CLIENT_GID, jar, SidecarSetups.sidecarEnv(spire,
                  "127.0.0.1:" + FreePorts.next(), "LANYARD_OUTBOUND", "127.0.0.1:" + port + "=localhost:" + mesh,
                  "LANYARD_ALLOWED_PEERS", serverId), logs, commands));
              readyMs = (System.nanoTime() - started) / 1e6 / 2;
            }
            children.addAll(pair);
            try {
              samples.add(measure(config, round, port, pair, readyMs, connections));
              log(samples.get(samples.size() - 1).toString());
            } finally {
              pair.forEach(SidecarChild::close);
              children.removeAll(pair);
            }
          }
        }
      } finally {
        children.forEach(SidecarChild::close);
      }
      commands.putAll(scratch.commands);
    }
    Path written = write(out, invoked, configs, samples, commands, loadAtStart, loads, Machine.loadAverage());
    log("results: " + written + " (and .json)");
  }

  private static SidecarChild startSidecar(Jvm jvm, String side, int gid, Path jar, Map<String, String> env,
      Path logs, Map<String, String> commands) {
    List<String> command = new ArrayList<>(List.of(jvm.java().toString()));
    command.addAll(jvm.flags());
    command.addAll(List.of("-jar", jar.toString()));
    command = Command.asGid(gid, command);
    SidecarChild child = SidecarChild.start(jvm.name() + "-" + side, command, env, logs);
    child.awaitLine("sidecar ready \\([a-z]+, (\\d+) ms", Duration.ofSeconds(120));
    commands.putIfAbsent(jvm.name() + " " + side, String.join(" ", command));
    return child;
  }

  private static Sample measure(String config, int round, int port, List<SidecarChild> pair, double readyMs,
      int connections) throws Exception {
    double readyOwnMs = pair.stream().map(SidecarChild::output)
        .map(out -> java.util.regex.Pattern.compile("sidecar ready \\([a-z]+, (\\d+) ms").matcher(out))
        .filter(Matcher::find).mapToDouble(m -> Double.parseDouble(m.group(1))).max().orElse(Double.NaN);
    SidecarChild.sleep(1_000);
    double idle = pair.stream().mapToLong(SidecarChild::rssKb).sum();
    String url = "http://127.0.0.1:" + port + "/";
    SidecarWrk first5 = SidecarWrk.run(SidecarWrk.command(url, 1, connections, 5, true));
    SidecarWrk next10 = SidecarWrk.run(SidecarWrk.command(url, 1, connections, 10, true));
    AtomicLong peak = new AtomicLong();
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(pair.stream().mapToLong(SidecarChild::rssKb).sum(), Math::max);
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.start();
    SidecarWrk keepAlive = SidecarWrk.run(SidecarWrk.command(url, 1, connections, 10, false));
    sampler.interrupt();
    sampler.join();
    return new Sample(config, round, Double.isNaN(readyMs) ? Double.NaN : readyOwnMs, idle,
        first5.perSecond(), (first5.requests() + next10.requests()) / 15.0, keepAlive.perSecond(),
        keepAlive.p99Us(), peak.get(), first5.socketErrors() + next10.socketErrors() + keepAlive.socketErrors()
            + first5.non2xx() + next10.non2xx() + keepAlive.non2xx());
  }

  private static Path write(Path out, String invoked, List<String> configs, List<Sample> samples,
      Map<String, String> commands, double[] loadAtStart, List<double[]> loads, double[] loadAtEnd)
      throws Exception {
    Files.createDirectories(out);
    String date = LocalDate.now(ZoneOffset.UTC).toString();
    Path md = out.resolve("sidecar-cold-" + date + ".md");
    StringBuilder s = new StringBuilder();
    s.append("# Sidecar, fresh pairs: JDK 17 vs JDK 25 vs JDK 25 + AOT cache vs ghostunnel (").append(date).append(")\n\n");
    s.append("Command: `").append(invoked).append("`\n\n");
    s.append("Machine: ").append(Machine.processors()).append(" processors, ").append(Machine.cpuModel())
        .append("; load average at start ").append(Machine.loadText(loadAtStart)).append(", per round ");
    loads.forEach(l -> s.append(Machine.loadText(l)).append("; "));
    s.append("at end ").append(Machine.loadText(loadAtEnd)).append(
        ". The machine was shared with four other build/test jobs: absolute figures are inflated and"
        + " noisy; the ratios to ghostunnel within each round are what count.\n\n");
    s.append("Each round starts a fresh pair per configuration (rotated order), then at once wrk"
        + " `Connection: close` 5 s + 10 s (new connections/s: first 5 s, first 15 s), then 10 s"
        + " kept-alive (16 connections, 1 thread), then stops it. RSS: both processes of the pair"
        + " (idle: 1 s after ready; under load: peak sampled every 0.5 s during the kept-alive run)."
        + " Ready: the sidecar's own `sidecar ready (…, N ms)` figure (JVM start to ready, its SVID"
        + " already registered), the slower of the pair.\n\n");
    s.append("## Ratios to ghostunnel (median of per-round ratios, min–max)\n\n");
    s.append("| configuration | new conn/s first 5 s | new conn/s first 15 s | keep-alive req/s | keep-alive p99 | RSS under load | idle RSS (MiB, pair) | ready (ms) |\n");
    s.append("|---|---|---|---|---|---|---|---|\n");
    for (String config : configs) {
      if (config.equals(GHOSTUNNEL)) {
        continue;
      }
      s.append("| ").append(config)
          .append(" | ").append(ratio(samples, config, Sample::churnFirst5))
          .append(" | ").append(ratio(samples, config, Sample::churnFirst15))
          .append(" | ").append(ratio(samples, config, Sample::keepAlivePerSecond))
          .append(" | ").append(ratio(samples, config, Sample::keepAliveP99Us))
          .append(" | ").append(ratio(samples, config, Sample::loadRssKb))
          .append(" | ").append(Stats.summary(values(samples, config, x -> x.idleRssKb() / 1024), 1))
          .append(" | ").append(Stats.summary(values(samples, config, Sample::readyMs), 0)).append(" |\n");
    }
    s.append("\n## Samples\n\n| round | configuration | new conn/s 5 s | new conn/s 15 s | keep-alive req/s | p99 (ms) | RSS load (MiB) | idle RSS (MiB) | ready (ms) | errors |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (Sample x : samples) {
      s.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.0f | %.0f | %.2f | %.1f | %.1f | %.0f | %d |%n",
          x.round() + 1, x.config(), x.churnFirst5(), x.churnFirst15(), x.keepAlivePerSecond(),
          x.keepAliveP99Us() / 1000, x.loadRssKb() / 1024, x.idleRssKb() / 1024, x.readyMs(), x.errors()));
    }
    s.append("\n## Commands\n\n");
    commands.forEach((k, v) -> s.append("- ").append(k).append(": `").append(v).append("`\n"));
    Files.writeString(md, s.toString());
    ObjectNode json = Json.object();
    json.put("command", invoked);
    ArrayNode array = json.putArray("samples");
    for (Sample x : samples) {
      ObjectNode o = array.addObject();
      o.put("config", x.config()).put("round", x.round() + 1).put("readyMs", x.readyMs())
          .put("idleRssKb", x.idleRssKb()).put("newConnPerSecFirst5s", x.churnFirst5())
          .put("newConnPerSecFirst15s", x.churnFirst15()).put("keepAliveReqPerSec", x.keepAlivePerSecond())
          .put("keepAliveP99Us", x.keepAliveP99Us()).put("loadRssKb", x.loadRssKb()).put("errors", x.errors());
    }
    Files.writeString(out.resolve("sidecar-cold-" + date + ".json"), Json.write(json));
    return md;
  }

  private static List<Double> values(List<Sample> samples, String config,
      java.util.function.ToDoubleFunction<Sample> field) {
    return samples.stream().filter(x -> x.config().equals(config)).mapToDouble(field).boxed().toList();
  }

  /** Per round: config ÷ ghostunnel. */
  private static String ratio(List<Sample> samples, String config, java.util.function.ToDoubleFunction<Sample> field) {
    List<Double> ratios = new ArrayList<>();
    for (Sample x : samples) {
      if (!x.config().equals(config)) {
        continue;
      }
      samples.stream().filter(g -> g.config().equals(GHOSTUNNEL) && g.round() == x.round()).findFirst()
          .ifPresent(g -> ratios.add(field.applyAsDouble(x) / field.applyAsDouble(g)));
    }
    return Stats.summary(ratios, 2);
  }

  static void log(String message) {
    System.out.println("bench: " + message);
  }
}
