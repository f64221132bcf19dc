package dev.lanyard.bench;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
  private static final Path COMPAT = Path.of("compat-apps/target").toAbsolutePath();
  private static final int SERVER_GID = 6711;
  private static final int CLIENT_GID = 6712;
  private static final int READY_GID_BASE = 6720;
  private static final Pattern READY_LINE = Pattern.compile("sidecar ready \\([a-z]+, (\\d+) ms");
  private static final Pattern HANDSHAKES_ALLOWED =
      Pattern.compile("lanyard_handshakes_total\\{outcome=\"allowed\"} ([0-9.eE+]+)");
  /** The warm-up before the rounds: keep-alive, then runs of a new connection per request. */
  static final int WARM_UP_KEEP_ALIVE_SECONDS = 15;
  static final int WARM_UP_NEW_CONNECTION_RUNS = 4;
  static final int WARM_UP_NEW_CONNECTION_SECONDS = 5;
  /** Delays between a waiting sidecar's start and its SPIRE registration, cycled over the trials. */
  private static final long[] REGISTRATION_DELAYS_MS = {500, 1_500, 3_000, 5_000};

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
        String serverId = register(spire, SERVER_GID, "/ns/bench/sa/server");
        String clientId = register(spire, CLIENT_GID, "/ns/bench/sa/client");
        int backendPort = startBackend(children);
        List<Config> configs = new ArrayList<>();
        configs.add(new Config("plaintext", backendPort, List.of(), null));
        configs.add(ghostunnel(spire, children, backendPort, serverId, clientId));
        configs.add(sidecarPair("sidecar", sidecarJar, DOCUMENTED_FLAGS, spire, children, backendPort,
            serverId, clientId));
        configs.add(sidecarPair("sidecar-c1", sidecarJar, C1_FLAGS, spire, children, backendPort,
            serverId, clientId));
        if (baselineJar != null) {
          configs.add(sidecarPair(SidecarReport.BASELINE, baselineJar, DOCUMENTED_FLAGS, spire,
              children, backendPort, serverId, clientId));
        }

        // Idle: everything started, nothing sent yet.
        SidecarChild.sleep(5_000);
        for (Config config : configs) {
          for (SidecarChild proxy : config.proxies()) {
            report.idleRssKb.put(proxy.name, proxy.rssKb());
          }
        }
        log("idle RSS (KiB): " + report.idleRssKb);
        load(configs);
        readyTrials(spire, backendPort);
      } finally {
        children.forEach(SidecarChild::close);
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
    report.loadAtEnd = Machine.loadAverage();
    Path written = report.write();
    log("results: " + written + " (and .json)");
  }

  // ---------------------------------------------------------------- set-ups

  private int startBackend(List<SidecarChild> children) throws IOException {
    String classpath = COMPAT.resolve("classes") + ":"
        + Files.readString(COMPAT.resolve("classpath.txt")).trim();
    List<String> command = JvmProcess.builder("backend").classpath(classpath)
        .mainClass("dev.lanyard.compat.NettyServerApp").args("--port", "0", "--tls", "plain").command();
    SidecarChild backend = SidecarChild.start("backend", command, Map.of(), logs);
    children.add(backend);
    report.backendCommand = String.join(" ", command);
    return Integer.parseInt(backend.awaitLine("LISTENING port=(\\d+)", Duration.ofSeconds(60)).group(1));
  }

  private Config ghostunnel(SpireCluster spire, List<SidecarChild> children, int backendPort,
      String serverId, String clientId) {
    String socket = "unix://" + spire.agentSocket();
    int serverPort = FreePorts.next();
    int clientPort = FreePorts.next();
    String ghostunnel = Tools.require("ghostunnel").toString();
    List<String> server = Command.asGid(SERVER_GID, List.of(ghostunnel, "server",
        "--use-workload-api-addr", socket, "--listen", "127.0.0.1:" + serverPort,
        "--target", "127.0.0.1:" + backendPort, "--allow-uri", clientId));
    List<String> client = Command.asGid(CLIENT_GID, List.of(ghostunnel, "client",
        "--use-workload-api-addr", socket, "--listen", "127.0.0.1:" + clientPort,
        "--target", "localhost:" + serverPort, "--verify-uri", serverId));
    SidecarChild gtServer = SidecarChild.start("ghostunnel-server", server, Map.of(), logs);
    children.add(gtServer);
    awaitListening(gtServer, serverPort);
    SidecarChild gtClient = SidecarChild.start("ghostunnel-client", client, Map.of(), logs);
    children.add(gtClient);
    awaitListening(gtClient, clientPort);
    report.commands.put("ghostunnel server", String.join(" ", server));
    report.commands.put("ghostunnel client", String.join(" ", client));
    return new Config("ghostunnel", clientPort, List.of(gtClient, gtServer), null);
  }

  private Config sidecarPair(String name, Path jar, List<String> flags, SpireCluster spire,
      List<SidecarChild> children, int backendPort, String serverId, String clientId) {
    int mesh = FreePorts.next();
    int clientPort = FreePorts.next();
    String serverAdmin = "127.0.0.1:" + FreePorts.next();
    SidecarChild server = startSidecar(name + "-server", SERVER_GID, jar, flags, sidecarEnv(spire,
        serverAdmin, "LANYARD_INBOUND", mesh + ":" + backendPort, "LANYARD_ALLOWED_PEERS", clientId),
        children);
    SidecarChild client = startSidecar(name + "-client", CLIENT_GID, jar, flags, sidecarEnv(spire,
        "127.0.0.1:" + FreePorts.next(), "LANYARD_OUTBOUND", "127.0.0.1:" + clientPort + "=localhost:" + mesh,
        "LANYARD_ALLOWED_PEERS", serverId), children);
    return new Config(name, clientPort, List.of(client, server), serverAdmin);
  }

  private Map<String, String> sidecarEnv(SpireCluster spire, String admin, String... keyValues) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPIFFE_ENDPOINT_SOCKET", spire.workloadApiAddress());
    env.put("LANYARD_ADMIN_ADDRESS", admin);
    env.put("LANYARD_OUTBOUND_PROXY", "off");
    env.put("LANYARD_SHUTDOWN_ADDRESS", "off");
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return env;
  }

  private SidecarChild startSidecar(String name, int gid, Path jar, List<String> flags, Map<String, String> env,
      List<SidecarChild> children) {
    List<String> command = JvmProcess.builder(name).gid(gid).jvmArg(flags.toArray(String[]::new))
        .jar(jar).command();
    SidecarChild sidecar = SidecarChild.start(name, command, env, logs);
    children.add(sidecar);
    Matcher ready = sidecar.awaitLine(READY_LINE.pattern(), Duration.ofSeconds(90));
    report.startToReadyMs.put(name, Double.parseDouble(ready.group(1)));
    report.commands.put(name, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .reduce((a, b) -> a + " " + b).orElse("") + " " + String.join(" ", command));
    return sidecar;
  }

  private static void awaitListening(SidecarChild child, int port) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        SidecarChild.sleep(100);
      }
    }
    throw new IllegalStateException(child.name + " is not listening on " + port + ":\n"
        + TimedRun.tail(child.output(), 30));
  }

  private static String register(SpireCluster spire, int gid, String path) {
    String id = "spiffe://" + spire.trustDomain() + path;
    spire.register(id, "unix:gid:" + gid);
    spire.awaitSvidForGid(gid, id, Duration.ofSeconds(60));
    return id;
  }

  // ---------------------------------------------------------------- load

  private void load(List<Config> configs) {
    // Long enough for the JVMs' optimizing compiler to have compiled the hot paths: the rounds
    // compare steady states. The connection set-up path (TLS engine, handshake, peer check,
    // pipeline) needs some thousands of connections; with 4 s of them, the burst of 16 handshakes
    // that opens every keep-alive run took the sidecars 35-50 ms, after ~15,000 connections
    // 13-15 ms (ghostunnel 16-19 ms). Every warm-up run is reported, so the cold cost shows.
    log("warm-up: every configuration, keep-alive then connection per request");
    for (Config config : configs) {
      SidecarReport.WarmUp warmUp = report.warmUps.computeIfAbsent(config.name(),
          n -> new SidecarReport.WarmUp());
      SidecarWrk keepAlive = SidecarWrk.run(wrk(config, WARM_UP_KEEP_ALIVE_SECONDS, false));
      check(config, keepAlive);
      warmUp.keepAlive = keepAlive;
      for (int run = 0; run < WARM_UP_NEW_CONNECTION_RUNS; run++) {
        SidecarWrk fresh = SidecarWrk.run(wrk(config, WARM_UP_NEW_CONNECTION_SECONDS, true));
        check(config, fresh);
        warmUp.newConnectionRuns.add(fresh);
      }
      log("warm-up " + config.name() + ": keep-alive " + keepAlive.brief() + "; connection per "
          + "request " + warmUp.newConnectionRuns.stream().map(SidecarWrk::brief)
          .collect(Collectors.joining(" → ")));
    }
    report.wrkKeepAlive = String.join(" ", wrk(configs.get(0), settings.seconds(), false));
    report.wrkNewConnection = String.join(" ", wrk(configs.get(0), settings.seconds(), true));
    for (int round = 0; round < settings.rounds(); round++) {
      report.roundLoads.add(Machine.loadAverage()[0]);
      for (int k = 0; k < configs.size(); k++) {
        Config config = configs.get((k + round) % configs.size());
        SidecarReport.Samples samples = report.samples.computeIfAbsent(config.name(),
            n -> new SidecarReport.Samples());
        double cpuBefore = cpu(config);
        SidecarWrk keepAlive = sampled(config, () -> SidecarWrk.run(wrk(config, settings.seconds(), false)));
        double cpuAfter = cpu(config);
        check(config, keepAlive);
        samples.perSecond.add(keepAlive.perSecond());
        samples.p50Us.add(keepAlive.p50Us());
        samples.p99Us.add(keepAlive.p99Us());
        samples.cpuMsPer1000.add(config.proxies().isEmpty() ? 0
            : (cpuAfter - cpuBefore) * 1000 / (keepAlive.requests() / 1000.0));

        double handshakesBefore = handshakes(config);
        double cpuBeforeNew = cpu(config);
        SidecarWrk fresh = sampled(config, () -> SidecarWrk.run(wrk(config, settings.seconds(), true)));
        double cpuAfterNew = cpu(config);
        double handshakesAfter = handshakes(config);
        check(config, fresh);
        samples.connectionsPerSecond.add(fresh.perSecond());
        samples.connectionP50Us.add(fresh.p50Us());
        samples.connectionP99Us.add(fresh.p99Us());
        samples.connectionCpuMsPer1000.add(config.proxies().isEmpty() ? 0
            : (cpuAfterNew - cpuBeforeNew) * 1000 / (fresh.requests() / 1000.0));
        if (!Double.isNaN(handshakesBefore)) {
          samples.fullHandshakesPerConnection.add((handshakesAfter - handshakesBefore) / fresh.requests());
        }
        log("round " + (round + 1) + "/" + settings.rounds() + " " + config.name() + ": keep-alive "
            + keepAlive.brief() + "; connection per request " + fresh.brief());
      }
    }
  }

  private List<String> wrk(Config config, int seconds, boolean newConnectionPerRequest) {
    return SidecarWrk.command("http://127.0.0.1:" + config.port() + "/hello", settings.threads(),
        settings.connections(), seconds, newConnectionPerRequest);
  }

  /** Runs the load while sampling every proxy's RSS; keeps each proxy's maximum. */
  private SidecarWrk sampled(Config config, java.util.function.Supplier<SidecarWrk> load) {
    AtomicBoolean running = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (running.get()) {
        for (SidecarChild proxy : config.proxies()) {
          report.loadRssKb.merge(proxy.name, proxy.rssKb(), Math::max);
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "rss-sampler");
    sampler.start();
    try {
      return load.get();
    } finally {
      running.set(false);
      sampler.interrupt();
    }
  }

  private static double cpu(Config config) {
    return config.proxies().stream().mapToDouble(SidecarChild::cpuSeconds).sum();
  }

  /** Full handshakes the server sidecar verified so far (resumed sessions are not verified again). */
  private static double handshakes(Config config) {
    if (config.serverAdmin() == null) {
      return Double.NaN;
    }
    Matcher matcher = HANDSHAKES_ALLOWED.matcher(get("http://" + config.serverAdmin() + "/metrics").body);
    return matcher.find() ? Double.parseDouble(matcher.group(1)) : Double.NaN;
  }

  private static void check(Config config, SidecarWrk run) {
    if (run.requests() == 0 || run.non2xx() > 0) {
      throw new IllegalStateException(config.name() + ": wrk saw failures:\n" + run.output()
          + config.proxies().stream().map(p -> "\n--- " + p.name + ":\n" + TimedRun.tail(p.output(), 20))
              .reduce("", String::concat));
    }
  }

  // ---------------------------------------------------------------- ready

  /**
   * A sidecar started before its workload is registered (as in a pod whose entry reaches the SPIRE
   * Agent after the pod starts): the time from the moment the SPIRE Agent first serves the SVID
   * (polled with {@code spire-agent api fetch x509} under the workload's gid) to the sidecar's
   * {@code /ready} answering 200 (polled every 10 ms).
   */
  private void readyTrials(SpireCluster spire, int backendPort) {
    for (int trial = 0; trial < settings.readyTrials(); trial++) {
      int gid = READY_GID_BASE + trial;
      String id = "spiffe://" + spire.trustDomain() + "/ns/bench/sa/ready-" + trial;
      String admin = "127.0.0.1:" + FreePorts.next();
      List<String> command = JvmProcess.builder("ready-" + trial).gid(gid)
          .jvmArg(DOCUMENTED_FLAGS.toArray(String[]::new)).jar(sidecarJar).command();
      Map<String, String> env = sidecarEnv(spire, admin, "LANYARD_INBOUND",
          FreePorts.next() + ":" + backendPort, "LANYARD_STARTUP", "wait=120s,then=fail");
      try (SidecarChild sidecar = SidecarChild.start("ready-" + trial, command, env, logs)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (get("http://" + admin + "/ready").status < 0 && System.nanoTime() < deadline) {
          SidecarChild.sleep(50);
        }
        long delay = REGISTRATION_DELAYS_MS[trial % REGISTRATION_DELAYS_MS.length];
        SidecarChild.sleep(delay);
        long registered = System.nanoTime();
        spire.register(id, "unix:gid:" + gid);
        long served = awaitServed(spire, gid, id);
        long ready = awaitReady(admin);
        double readyAfterServedMs = (ready - served) / 1e6;
        report.readyTrials.add(new SidecarReport.ReadyTrial(delay, (served - registered) / 1e6,
            readyAfterServedMs));
        log("ready trial " + (trial + 1) + ": registered " + delay + " ms after start; SVID served "
            + Math.round((served - registered) / 1e6) + " ms after registration; /ready 200 "
            + Math.round(readyAfterServedMs) + " ms after that");
        if (trial == 0) {
          report.readyCommand = String.join(" ", command);
        }
      }
    }
  }

  /** Polls the Workload API as {@code gid}; returns when a fetch that returned the SVID started. */
  private static long awaitServed(SpireCluster spire, int gid, String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      long started = System.nanoTime();
      Command.Result fetch = Command.run(Duration.ofSeconds(10), Command.asGid(gid, List.of(
          Tools.require("spire-agent").toString(), "api", "fetch", "x509",
          "-socketPath", spire.agentSocket().toString(), "-timeout", "1s")));
      if (fetch.ok() && fetch.output().contains(id)) {
        return started;
      }
    }
    throw new IllegalStateException("SPIRE Agent never served " + id);
  }

  private static long awaitReady(String admin) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (get("http://" + admin + "/ready").status == 200) {
        return System.nanoTime();
      }
      SidecarChild.sleep(10);
    }
    throw new IllegalStateException("sidecar at " + admin + " never became ready");
  }

  record Answer(int status, String body) {}

  private static Answer get(String url) {
    try {
      HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
      connection.setConnectTimeout(1_000);
      connection.setReadTimeout(2_000);
      int status = connection.getResponseCode();
      try (InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
        return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      return new Answer(-1, "");
    }
  }

  private static void log(String message) {
    System.out.println("bench: " + message);
  }
}
