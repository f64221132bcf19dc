package dev.lanyard.bench;

import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
  // Absolute: every child JVM runs in its own temporary directory.
  private static final Path BUILT_AGENT_JAR =
      Path.of("javaagent/target/lanyard-javaagent.jar").toAbsolutePath();
  private static final Path BUILT_COMPAT = Path.of("compat-apps/target").toAbsolutePath();
  private static final Path BENCH_CLASSES = Path.of("bench/target/classes").toAbsolutePath();
  private static final int SERVER_GID = 6101;
  private static final int CLIENT_GID = 6102;
  private static final int STARTUP_GID = 6103;
  static final String HANDSHAKE_CLIENT = "dev.lanyard.compat.HttpsUrlConnectionApp";
  static final String WARM_CLIENT = "dev.lanyard.compat.JdkHttpClientApp";
  private static final String PASSWORD = "changeit";
  private static final Pattern SUMMARY = Pattern.compile(
      "SUMMARY ok=(\\d+) failed=(\\d+) p50_us=(\\d+) p99_us=(\\d+) elapsed_ms=(\\d+)"
          + " per_second=([0-9.]+)");
  /** Requests a handshake client must have done before its window opens. */
  static final int HANDSHAKE_WARMUP = 200;
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

  private final Settings settings;
  private final Report report;
  private final TempDir work = TempDir.create("lanyard-bench-");
  /** Copies taken at the start, so that a rebuild during the run cannot change what is measured. */
  private final Path agentJar;
  private final Path compatClasses;
  private int logCounter;

  private JavaagentBench(Settings settings) {
    this.settings = settings;
    this.report = new Report(settings);
    try {
      this.agentJar = Files.copy(BUILT_AGENT_JAR, work.dir("snapshot").resolve("lanyard-javaagent.jar"));
      try (var jar = new java.util.jar.JarFile(agentJar.toFile())) {
        if (jar.getManifest() == null || jar.getManifest().getMainAttributes()
            .getValue("Premain-Class") == null) {
          throw new IOException(BUILT_AGENT_JAR + " has no Premain-Class: is it being rebuilt?");
        }
      }
      this.compatClasses = copyTree(BUILT_COMPAT.resolve("classes"), work.dir("snapshot").resolve("compat-classes"));
    } catch (IOException e) {
      work.close();
      throw new UncheckedIOException("cannot snapshot the javaagent jar and compat apps", e);
    }
  }

  private static Path copyTree(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target);
        }
      }
    }
    return to;
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
    BenchArgs.requireBuilt("bench/run.sh",
        List.of(BUILT_AGENT_JAR, BUILT_COMPAT.resolve("classpath.txt"), BENCH_CLASSES));
    JavaagentBench bench = new JavaagentBench(settings);
    try {
      bench.run();
    } finally {
      bench.work.close();
    }
  }

  private void run() throws Exception {
    report.loadAtStart = Machine.loadAverage();
    report.revision = Revision.of("javaagent", "spiffe-tls", "compat-apps");
    report.agentJarSha256 = Machine.sha256(agentJar);
    log("SPIRE: starting server and SPIRE Agent");
    try (SpireCluster spire = SpireCluster.start(
        SpireOptions.builder().svidTtl(Duration.ofMinutes(30)).build())) {
      String serverId = register(spire, SERVER_GID, "/ns/bench/sa/server");
      String clientId = register(spire, CLIENT_GID, "/ns/bench/sa/client");
      String startupId = register(spire, STARTUP_GID, "/ns/bench/sa/startup");
      for (var entry : Map.of(SERVER_GID, serverId, CLIENT_GID, clientId, STARTUP_GID, startupId)
          .entrySet()) {
        spire.awaitSvidForGid(entry.getKey(), entry.getValue(), Duration.ofSeconds(60));
      }
      report.spireVersion = Machine.firstLine(List.of(
          dev.lanyard.testkit.Tools.require("spire-server").toString(), "--version"));
      Pki pki = mintKeyStores();
      Map<String, String> serverAgentEnv = agentEnv(spire, clientId);
      Map<String, String> clientAgentEnv = agentEnv(spire, serverId);

      List<Config> configs = new ArrayList<>();
      // Interrupted (Ctrl-C), the JVM runs no finally blocks: stop SPIRE and the servers anyway.
      Thread cleanup = new Thread(() -> {
        configs.forEach(config -> config.server.close());
        spire.close();
      }, "bench-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        startConfig(configs, "javaagent", true, serverAgentEnv, clientAgentEnv,
            List.of("--tls", "default"), List.of("--tls", "default"), "https");
        startConfig(configs, "keystore", false, Map.of(), Map.of(),
            List.of("--tls", "keystore", "--keystore", pki.server.toString(),
                "--truststore", pki.trust.toString(), "--password", PASSWORD),
            List.of("--tls", "keystore", "--keystore", pki.client.toString(),
                "--truststore", pki.trust.toString(), "--password", PASSWORD), "https");
        startConfig(configs, "plain", false, Map.of(), Map.of(), List.of("--tls", "plain"),
            List.of("--tls", "plain"), "http");

        startup(spire, configs);
        transport(configs);
        memory(configs);
      } finally {
        configs.forEach(config -> config.server.close());
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
    report.loadAtEnd = Machine.loadAverage();
    Path written = report.write();
    log("results: " + written + " (and .json)");
  }

  // ---------------------------------------------------------------- start-up

  private void startup(SpireCluster spire, List<Config> configs) {
    Config agent = configs.get(0);
    Config keystore = configs.get(1);
    Map<String, String> helloAgentEnv = new LinkedHashMap<>(agentEnv(spire, null));
    List<String> helloWith = JvmProcess.builder("hello-javaagent").gid(STARTUP_GID)
        .javaagent(agentJar).classpath(BENCH_CLASSES).mainClass(Hello.class.getName()).command();
    List<String> helloWithout = JvmProcess.builder("hello").gid(STARTUP_GID)
        .classpath(BENCH_CLASSES).mainClass(Hello.class.getName()).command();
    report.helloCommand = display(helloWith);
    report.hello = interleave("hello", helloWith, helloAgentEnv, helloWithout, Map.of(),
        output -> output.contains("hello"));

    List<String> firstWith = agent.clientCommand("first-request-javaagent", 1, 1, false);
    List<String> firstWithout = keystore.clientCommand("first-request-keystore", 1, 1, false);
    report.firstRequestCommand = display(firstWith);
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
          ra = timed(name + "-a", a, aEnv);
          check(ra, ok);
        } else {
          rb = timed(name + "-b", b, bEnv);
          check(rb, ok);
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
    log(name + ": with javaagent " + Stats.summary(pair.aMillis, 0) + " ms, without "
        + Stats.summary(pair.bMillis, 0) + " ms, added "
        + Stats.summary(Stats.differences(pair.aMillis, pair.bMillis), 0) + " ms; CPU added "
        + Stats.summary(Stats.differences(pair.aCpuSeconds, pair.bCpuSeconds), 2) + " s");
    return pair;
  }

  // ---------------------------------------------------------------- transport

  private void transport(List<Config> configs) {
    log("transport: warming up the three servers");
    for (Config config : configs) {
      check(timed("warmup-" + config.name, config.clientCommand("warmup-" + config.name,
          settings.warmRequests(), 1, false), config.clientEnv), out -> summary(out).failed == 0);
    }
    for (int round = 0; round < settings.rounds(); round++) {
      double[] load = Machine.loadAverage();
      report.roundLoads.add(load[0]);
      for (int k = 0; k < configs.size(); k++) {
        // Rotate the order every round so no configuration always runs first or last.
        Config config = configs.get((k + round) % configs.size());
        Handshakes handshakes = handshakes(config);
        Summary warm = summary(check(timed("warm-" + config.name, config.clientCommand(
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
      log("transport round " + (round + 1) + "/" + settings.rounds() + " (load " + load[0] + ")"
          + describeRound(round));
    }
    report.transportClientCommand = display(configs.get(0).clientCommand("hs", 0,
        settings.handshakeConcurrency(), true));
    report.warmClientCommand = display(configs.get(0).clientCommand("warm",
        settings.warmRequests(), 1, false));
    report.transportServerCommand = display(configs.get(0).serverCommand);
  }

  record Handshakes(double perSecond, Summary summary) {}

  /**
   * Steady-state handshakes per second of one configuration, counted from outside: the client
   * runs until stopped, each request on a new connection; once it has printed
   * {@link #HANDSHAKE_WARMUP} {@code OK} lines (the javaagent holds its SVID, the JIT has seen
   * the handshake) its {@code OK} lines are counted over a fixed window. So neither JVM start-up
   * nor the javaagent's first SVID fetch (measured by the start-up benchmark) is counted here.
   */
  private Handshakes handshakes(Config config) {
    List<String> command = config.clientCommand("hs-" + config.name, 0,
        settings.handshakeConcurrency(), true);
    Path log = work.dir("logs").resolve(String.format("%04d-hs-%s.log", ++logCounter,
        config.name));
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
      while (okLines(log) < HANDSHAKE_WARMUP) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("handshake client " + config.name + " did not reach "
              + HANDSHAKE_WARMUP + " requests:\n" + TimedRun.tail(TimedRun.read(log), 40));
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

  // ---------------------------------------------------------------- memory

  private void memory(List<Config> configs) {
    for (Config config : configs) {
      long pid = config.server.pid();
      Report.Memory memory = new Report.Memory();
      memory.rssBeforeGcKb = Machine.vmRssKb(pid);
      String heapInfo = Machine.jcmd(pid, "GC.run") + Machine.jcmd(pid, "GC.heap_info");
      Matcher used = Pattern.compile("used (\\d+)K").matcher(heapInfo);
      memory.heapUsedAfterGcKb = used.find() ? Long.parseLong(used.group(1)) : -1;
      memory.rssAfterGcKb = Machine.vmRssKb(pid);
      Matcher nmt = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB")
          .matcher(Machine.jcmd(pid, "VM.native_memory", "summary"));
      memory.nmtCommittedKb = nmt.find() ? Long.parseLong(nmt.group(2)) : -1;
      Matcher classes = Pattern.compile("\\(classes #(\\d+)\\)")
          .matcher(Machine.jcmd(pid, "VM.native_memory", "summary"));
      memory.loadedClasses = classes.find() ? Long.parseLong(classes.group(1)) : -1;
      report.memory.put(config.name, memory);
      log("memory " + config.name + ": rss=" + memory.rssAfterGcKb + "KB heap_used="
          + memory.heapUsedAfterGcKb + "KB nmt_committed=" + memory.nmtCommittedKb + "KB classes="
          + memory.loadedClasses);
    }
  }

  // ---------------------------------------------------------------- set-up

  /** One configuration of the same server and client apps, its server already listening. */
  private final class Config {
    final String name;
    final boolean javaagent;
    final Map<String, String> clientEnv;
    final List<String> clientTls;
    final String scheme;
    JvmProcess server;
    List<String> serverCommand;
    int port;

    Config(String name, boolean javaagent, Map<String, String> clientEnv, List<String> clientTls,
        String scheme) {
      this.name = name;
      this.javaagent = javaagent;
      this.clientEnv = clientEnv;
      this.clientTls = clientTls;
      this.scheme = scheme;
    }

    /**
     * A client run. Handshakes use {@code HttpsUrlConnectionApp} (a new connection per request,
     * closed with {@code disconnect()}): a fresh JDK {@code HttpClient} per request would spend
     * most of its time on its own threads and selector, not on TLS. Warm requests and the
     * first-request start-up use {@code JdkHttpClientApp}.
     */
    List<String> clientCommand(String runName, int requests, int concurrency, boolean handshake) {
      JvmProcess.Builder builder = JvmProcess.builder(runName).gid(CLIENT_GID)
          .classpath(compatClasspath()).mainClass(handshake ? HANDSHAKE_CLIENT : WARM_CLIENT)
          .args("--url", scheme + "://localhost:" + port + "/hello",
              "--requests", Integer.toString(requests),
              "--concurrency", Integer.toString(concurrency))
          .args(clientTls.toArray(String[]::new));
      if (handshake) {
        builder.args("--new-connection-per-request");
      }
      if (javaagent) {
        builder.javaagent(agentJar);
      }
      return builder.command();
    }
  }

  private Config startConfig(List<Config> configs, String name, boolean javaagent, Map<String, String> serverEnv,
      Map<String, String> clientEnv, List<String> serverTls, List<String> clientTls,
      String scheme) {
    Config config = new Config(name, javaagent, clientEnv, clientTls, scheme);
    JvmProcess.Builder builder = JvmProcess.builder("server-" + name).gid(SERVER_GID)
        .jvmArg("-XX:NativeMemoryTracking=summary")
        .classpath(compatClasspath()).mainClass("dev.lanyard.compat.NettyServerApp")
        .args("--port", "0", "--bind", "127.0.0.1").args(serverTls.toArray(String[]::new))
        .env(serverEnv);
    if (javaagent) {
      builder.javaagent(agentJar);
    }
    config.serverCommand = builder.command();
    config.server = builder.start();
    configs.add(config);
    try {
      Matcher port = config.server.awaitOutput("LISTENING port=(\\d+)", Duration.ofSeconds(60));
      config.port = Integer.parseInt(port.group(1));
    } catch (RuntimeException e) {
      config.server.close();
      throw e;
    }
    log("server " + name + " listening on " + config.port + " (pid " + config.server.pid() + ")");
    return config;
  }

  private static String register(SpireCluster spire, int gid, String path) {
    String id = "spiffe://" + spire.trustDomain() + path;
    spire.register(id, "unix:gid:" + gid);
    return id;
  }

  /** The javaagent's environment: the real SPIRE Agent, no admin port, a bounded start-up wait. */
  private static Map<String, String> agentEnv(SpireCluster spire, String allowedPeer) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPIFFE_ENDPOINT_SOCKET", spire.workloadApiAddress());
    env.put("LANYARD_ADMIN_ADDRESS", "off");
    env.put("LANYARD_STARTUP", "wait=30s,then=fail");
    if (allowedPeer != null) {
      env.put("LANYARD_ALLOWED_PEERS", allowedPeer);
    }
    return env;
  }

  private record Pki(Path server, Path client, Path trust) {}

  /**
   * PKCS#12 files for the key store configuration: EC P-256 keys like SPIRE's default SVIDs, a
   * server certificate for DNS localhost, a client certificate, one CA as the trust store.
   */
  private Pki mintKeyStores() throws Exception {
    TestPki ca = TestPki.create("lanyard-bench-ca");
    char[] password = PASSWORD.toCharArray();
    Path dir = work.dir("pki");
    Path server = save(ca.server("localhost", List.of("localhost"), List.of("127.0.0.1"))
        .keyStore(password), dir.resolve("server.p12"), password);
    Path client = save(ca.client("bench-client", null).keyStore(password),
        dir.resolve("client.p12"), password);
    Path trust = save(ca.trustStore(), dir.resolve("trust.p12"), password);
    return new Pki(server.toAbsolutePath(), client.toAbsolutePath(), trust.toAbsolutePath());
  }

  private static Path save(KeyStore store, Path file, char[] password) throws Exception {
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password);
    }
    return file;
  }

  /** A command line as the repository names things (the run used snapshots of these paths). */
  private String display(List<String> command) {
    return String.join(" ", command)
        .replace(compatClasspath(), "compat-apps/target/classes:$(cat compat-apps/target/classpath.txt)")
        .replace(agentJar.toString(), "javaagent/target/lanyard-javaagent.jar")
        .replace(BENCH_CLASSES.toString(), "bench/target/classes");
  }

  private String compatClasspath() {
    try {
      return compatClasses + ":" + Files.readString(BUILT_COMPAT.resolve("classpath.txt")).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("compat-apps not built", e);
    }
  }

  // ---------------------------------------------------------------- runs

  private TimedRun timed(String name, List<String> command, Map<String, String> env) {
    Path log = work.dir("logs").resolve(String.format("%04d-%s.log", ++logCounter, name));
    return TimedRun.run(name, command, env, log, RUN_TIMEOUT);
  }

  private static TimedRun check(TimedRun run, java.util.function.Predicate<String> ok) {
    if (run.exit() != 0 || !ok.test(run.output())) {
      throw new IllegalStateException(run.name() + " failed (exit " + run.exit() + "):\n"
          + TimedRun.tail(run.output(), 40));
    }
    return run;
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

  static void log(String line) {
    System.out.println("[" + DateTimeFormatter.ISO_LOCAL_TIME.format(
        Instant.now().atOffset(ZoneOffset.UTC)).substring(0, 8) + "] " + line);
  }
}
