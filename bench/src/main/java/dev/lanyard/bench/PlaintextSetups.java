package dev.lanyard.bench;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Process control of {@link PlaintextUpgradeBench}: the same plain-HTTP server app
 * ({@code NettyServerApp --tls plain}; not the JDK {@code HttpServer}, which writes a response's
 * headers and body separately without {@code TCP_NODELAY}, so every keep-alive request waited
 * out the peer's delayed ACK: 45 ms p50 in all three configurations) and client app
 * ({@code JdkHttpClientApp --tls plain}, one keep-alive {@code HttpClient}) in three
 * configurations, the servers and sidecars started once and kept for the whole run:
 *
 * <pre>
 * plaintext: client → server                                   (no Lanyard)
 * upgraded:  client[javaagent] ══mTLS══▶ server[javaagent]      (LANYARD_UPGRADE_OUTBOUND / _INBOUND strict)
 * sidecars:  client → sidecar (outbound) ══mTLS══▶ sidecar (inbound) → server
 * </pre>
 *
 * Every client calls {@code http://orders.shop:<port>/hello}, {@code orders.shop} being 127.0.0.1
 * in the client JVM's own hosts file: a mesh destination by the built-in rule (two labels), which
 * the upgraded client must call, and the same name resolution for the other two.
 */
final class PlaintextSetups implements AutoCloseable {
  static final String HOST = "orders.shop";
  static final String SERVER_APP = "dev.lanyard.compat.NettyServerApp";
  static final String CLIENT_APP = "dev.lanyard.compat.JdkHttpClientApp";
  private static final String SIDECAR_READY = "sidecar ready \\([a-z]+, (\\d+) ms";
  private static final Path BUILT_SIDECAR_JAR =
      Path.of("sidecar-proxy/target/lanyard-sidecar.jar").toAbsolutePath();

  /**
   * One configuration: how its client is run. {@code clientSidecar} is true for the sidecar pair,
   * whose start-up trials start a fresh client-side sidecar in front of each client.
   */
  record Config(String name, boolean javaagent, Map<String, String> clientEnv, int clientPort,
      boolean clientSidecar) {}

  private final AgentBenchProcesses processes;
  private final Path hostsFile;
  private final Path sidecarJar;
  /** The server app of each configuration, by configuration name. */
  private final Map<String, JvmProcess> servers = new LinkedHashMap<>();
  private final List<SidecarChild> sidecars = new ArrayList<>();
  /** Command lines of the long-running processes, for the report. */
  final Map<String, String> commands = new LinkedHashMap<>();
  /** Start-to-ready of each long-running sidecar as it logged it. */
  final Map<String, Double> sidecarReadyMs = new LinkedHashMap<>();
  private int serverSidecarMeshPort;
  private Map<String, String> clientSidecarBaseEnv;

  PlaintextSetups(AgentBenchProcesses processes) {
    this.processes = processes;
    try {
      Path dir = processes.work.dir("hosts");
      this.hostsFile = Files.writeString(dir.resolve("hosts"), "127.0.0.1 " + HOST + "\n");
      this.sidecarJar = Files.copy(BUILT_SIDECAR_JAR,
          processes.work.dir("snapshot").resolve("lanyard-sidecar.jar"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the hosts file or snapshot the sidecar jar", e);
    }
  }

  static Path builtSidecarJar() {
    return BUILT_SIDECAR_JAR;
  }

  Path sidecarJar() {
    return sidecarJar;
  }

  /** Configuration 1: the plain server, no Lanyard anywhere. */
  Config plaintext() {
    int port = startServer("plaintext", false, Map.of(), "0.0.0.0", 0);
    return new Config("plaintext", false, Map.of(), port, false);
  }

  /**
   * Configuration 2: both JVMs with the javaagent, the server's port upgraded inbound and the
   * client's calls to it upgraded outbound, both {@code strict} (so a 200 proves mTLS: a strict
   * server refuses plaintext with 403, a strict client never sends it).
   */
  Config upgraded(SpireCluster spire, String serverId, String clientId) {
    int port = FreePorts.next(); // port 0 is never upgraded
    Map<String, String> serverEnv = new LinkedHashMap<>(AgentBenchProcesses.agentEnv(spire, clientId));
    serverEnv.put("LANYARD_UPGRADE_INBOUND", port + "=strict");
    startServer("upgraded", true, serverEnv, "0.0.0.0", port);
    servers.get("upgraded").awaitOutput("port " + port + " is served with mTLS by Lanyard \\(strict",
        Duration.ofSeconds(30));
    Map<String, String> clientEnv = new LinkedHashMap<>(AgentBenchProcesses.agentEnv(spire, serverId));
    clientEnv.put("LANYARD_UPGRADE_OUTBOUND", port + "=strict");
    return new Config("upgraded", true, clientEnv, port, false);
  }

  /**
   * Configuration 3: no javaagent; the server on loopback behind a server-side sidecar (inbound
   * mTLS), the client calling a client-side sidecar's outbound listener, with the sidecar's
   * documented JVM flags.
   */
  Config sidecars(SpireCluster spire, String serverSidecarId, String clientSidecarId) {
    int backend = startServer("sidecars", false, Map.of(), "127.0.0.1", 0);
    serverSidecarMeshPort = FreePorts.next();
    SidecarChild server = startSidecar("sidecar-server", SidecarBench.SERVER_GID,
        SidecarSetups.sidecarEnv(spire, "127.0.0.1:" + FreePorts.next(),
            "LANYARD_INBOUND", serverSidecarMeshPort + ":" + backend,
            "LANYARD_ALLOWED_PEERS", clientSidecarId));
    sidecars.add(server);
    sidecarReadyMs.put(server.name, readyMillis(server));
    clientSidecarBaseEnv = SidecarSetups.sidecarEnv(spire, "127.0.0.1:0",
        "LANYARD_ALLOWED_PEERS", serverSidecarId);
    int clientPort = FreePorts.next();
    SidecarChild client = startClientSidecar("sidecar-client", clientPort);
    sidecars.add(client);
    sidecarReadyMs.put(client.name, readyMillis(client));
    return new Config("sidecars", false, Map.of(), clientPort, true);
  }

  /**
   * A client-side sidecar whose outbound listener on {@code 127.0.0.1:listenPort} carries
   * connections as mTLS to the server-side sidecar; not yet ready when this returns.
   */
  SidecarChild startClientSidecar(String name, int listenPort) {
    Map<String, String> env = new LinkedHashMap<>(clientSidecarBaseEnv);
    env.put("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next());
    env.put("LANYARD_OUTBOUND", "127.0.0.1:" + listenPort + "=localhost:" + serverSidecarMeshPort);
    return startSidecar(name, SidecarBench.CLIENT_GID, env);
  }

  /** Waits for a sidecar's ready line; returns the start-to-ready it logged, in ms. */
  static double readyMillis(SidecarChild sidecar) {
    return Double.parseDouble(sidecar.awaitLine(SIDECAR_READY, Duration.ofSeconds(90)).group(1));
  }

  private SidecarChild startSidecar(String name, int gid, Map<String, String> env) {
    List<String> command = JvmProcess.builder(name).gid(gid)
        .jvmArg(SidecarBench.DOCUMENTED_FLAGS.toArray(String[]::new)).jar(sidecarJar).command();
    SidecarChild sidecar = SidecarChild.start(name, command, env, processes.work.dir("logs"));
    commands.putIfAbsent(name, envText(env) + " " + display(command));
    return sidecar;
  }

  /** Starts the server app of configuration {@code name}; returns the port it listens on. */
  private int startServer(String name, boolean javaagent, Map<String, String> env, String bind,
      int port) {
    JvmProcess.Builder builder = JvmProcess.builder("server-" + name).gid(AgentBenchProcesses.SERVER_GID)
        .classpath(processes.compatClasspath()).mainClass(SERVER_APP)
        .args("--port", Integer.toString(port), "--bind", bind, "--tls", "plain").env(env);
    if (javaagent) {
      builder.javaagent(processes.agentJar);
    }
    commands.put("server-" + name, envText(env) + " " + display(builder.command()));
    JvmProcess server = builder.start();
    servers.put(name, server);
    int listening = Integer.parseInt(server.awaitOutput("LISTENING port=(\\d+)",
        Duration.ofSeconds(60)).group(1));
    JavaagentBench.log("server-" + name + " listening on " + listening + " (pid " + server.pid() + ")");
    return listening;
  }

  /**
   * The client run of a configuration: {@code requests} (0: until stopped) from
   * {@code concurrency} threads, the first {@code warmup} of them left out of its percentiles.
   */
  List<String> clientCommand(Config config, String runName, int port, int requests, int concurrency,
      int warmup) {
    JvmProcess.Builder builder = JvmProcess.builder(runName).gid(AgentBenchProcesses.CLIENT_GID)
        .jvmArg("-Djdk.net.hosts.file=" + hostsFile)
        .classpath(processes.compatClasspath()).mainClass(CLIENT_APP)
        .args("--url", "http://" + HOST + ":" + port + "/hello",
            "--requests", Integer.toString(requests),
            "--concurrency", Integer.toString(concurrency), "--tls", "plain");
    if (warmup > 0) {
      builder.args("--warmup-requests", Integer.toString(warmup));
    }
    if (config.javaagent()) {
      builder.javaagent(processes.agentJar);
    }
    return builder.command();
  }

  List<String> clientCommand(Config config, String runName, int requests, int concurrency,
      int warmup) {
    return clientCommand(config, runName, config.clientPort(), requests, concurrency, warmup);
  }

  /** The pids whose CPU a configuration's traffic costs besides the client: its server side and proxies. */
  List<Long> serverSidePids(Config config) {
    List<Long> pids = new ArrayList<>(List.of(servers.get(config.name()).pid()));
    if (config.clientSidecar()) {
      sidecars.forEach(sidecar -> pids.add(sidecar.pid()));
    }
    return pids;
  }

  /** The long-running processes' resident memory now (after the load), KiB. */
  Map<String, Long> rssKb() {
    Map<String, Long> rss = new LinkedHashMap<>();
    servers.forEach((name, server) -> rss.put("server-" + name, Machine.vmRssKb(server.pid())));
    sidecars.forEach(sidecar -> rss.put(sidecar.name, sidecar.rssKb()));
    return rss;
  }

  String display(List<String> command) {
    return processes.display(command).replace(sidecarJar.toString(),
        "sidecar-proxy/target/lanyard-sidecar.jar").replace(hostsFile.toString(),
        "<hosts file: 127.0.0.1 " + HOST + ">");
  }

  static String envText(Map<String, String> env) {
    return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .reduce((a, b) -> a + " " + b).orElse("");
  }

  @Override
  public void close() {
    sidecars.forEach(SidecarChild::close);
    servers.values().forEach(JvmProcess::close);
  }
}
