package dev.lanyard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real SPIRE server and SPIRE Agent in a temp dir: sqlite datastore, join-token node
 * attestation, unix workload attestor, disk key managers (so both restart without new keys or a
 * new join token). Workloads are registered by {@code unix:uid}/{@code unix:gid} selectors.
 * {@link SpireOnNode} starts the same pair with the agent's socket and workload attestor of a
 * Kubernetes node instead ({@link AgentSetup}).
 */
public final class SpireCluster implements AutoCloseable {
  /**
   * Where the SPIRE Agent serves the Workload API, the SPIFFE ID its join token aliases it to, and
   * its {@code WorkloadAttestor} plugin blocks (HCL).
   */
  record AgentSetup(Path socket, String nodeId, String workloadAttestors) {
    static final String UNIX = """
          WorkloadAttestor "unix" {
            plugin_data {}
          }
        """;
  }

  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern ENTRY_ID = Pattern.compile("Entry ID\\s*:\\s*(\\S+)");
  private static final Pattern TOKEN = Pattern.compile("Token:\\s*(\\S+)");
  private static final Pattern PREPARED_ID =
      Pattern.compile("\"prepared\"\\s*:\\s*\\{[^}]*?\"authority_id\"\\s*:\\s*\"([0-9a-f]+)\"");
  private static final Pattern OLD_ID =
      Pattern.compile("\"old\"\\s*:\\s*\\{[^}]*?\"authority_id\"\\s*:\\s*\"([0-9a-f]+)\"");

  private final SpireOptions options;
  private final TempDir root;
  private final Path serverSocket;
  private final Path agentSocket;
  private final Path serverConfig;
  private final Path agentConfig;
  private final String nodeId;
  private final String workloadAttestors;
  private int serverPort;
  private ManagedProcess server;
  private ManagedProcess agent;
  private int agentStarts;

  private SpireCluster(SpireOptions options, TempDir root, AgentSetup agentSetup) {
    this.options = options;
    this.root = root;
    this.serverSocket = root.dir("server").resolve("api.sock");
    this.agentSocket = agentSetup.socket();
    this.serverConfig = root.path().resolve("server.conf");
    this.agentConfig = root.path().resolve("agent.conf");
    this.nodeId = agentSetup.nodeId();
    this.workloadAttestors = agentSetup.workloadAttestors();
  }

  /** Starts server and SPIRE Agent and waits until both are healthy. Closes itself on failure. */
  public static SpireCluster start(SpireOptions options) {
    TempDir root = TempDir.create("lanyard-spire-");
    return start(options, root, new AgentSetup(root.dir("agent-public").resolve("api.sock"),
        "spiffe://" + options.trustDomain() + "/node/testkit", AgentSetup.UNIX));
  }

  /** Starts server and SPIRE Agent in {@code root} (closed with the cluster) as {@code agentSetup} says. */
  static SpireCluster start(SpireOptions options, TempDir root, AgentSetup agentSetup) {
    Tools.require("spire-server");
    Tools.require("spire-agent");
    SpireCluster cluster = new SpireCluster(options, root, agentSetup);
    try {
      cluster.writeServerConfig();
      cluster.startServer();
      cluster.writeAgentConfig();
      cluster.startAgent();
      return cluster;
    } catch (RuntimeException e) {
      String logs = cluster.logs();
      cluster.close();
      throw new IllegalStateException("SPIRE did not start: " + e.getMessage() + "\n" + logs, e);
    }
  }

  public SpireOptions options() {
    return options;
  }

  public String trustDomain() {
    return options.trustDomain();
  }

  /** The SPIFFE ID under which workload entries are registered (the join-token node alias). */
  public String nodeId() {
    return nodeId;
  }

  public Path agentSocket() {
    return agentSocket;
  }

  /** The value for {@code SPIFFE_ENDPOINT_SOCKET}. */
  public String workloadApiAddress() {
    return "unix://" + agentSocket;
  }

  public Path serverSocket() {
    return serverSocket;
  }

  public Path directory() {
    return root.path();
  }

  /** Registers {@code spiffeId} for workloads matching every selector, with the default SVID TTL. */
  public String register(String spiffeId, String... selectors) {
    return register(spiffeId, options.svidTtl(), selectors);
  }

  /** Registers {@code spiffeId} with its own X.509-SVID TTL; returns the entry ID. */
  public String register(String spiffeId, Duration x509Ttl, String... selectors) {
    List<String> args = new ArrayList<>(List.of(
        "entry", "create", "-parentID", nodeId, "-spiffeID", spiffeId,
        "-x509SVIDTTL", Long.toString(x509Ttl.toSeconds()),
        "-jwtSVIDTTL", Long.toString(options.jwtTtl().toSeconds())));
    for (String selector : selectors) {
      args.add("-selector");
      args.add(selector);
    }
    String output = serverCli(args.toArray(String[]::new)).orThrow();
    Matcher matcher = ENTRY_ID.matcher(output);
    if (!matcher.find()) {
      throw new IllegalStateException("no entry ID in spire-server output:\n" + output);
    }
    return matcher.group(1);
  }

  public void deleteEntry(String entryId) {
    serverCli("entry", "delete", "-entryID", entryId).orThrow();
  }

  /**
   * Waits until the SPIRE Agent serves {@code spiffeId} to a process running as {@code uid},
   * asking it the way the workload will (the Workload API, under that uid).
   */
  public void awaitSvid(int uid, String spiffeId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Command.Result last = null;
    while (System.nanoTime() < deadline) {
      last = fetchX509(uid);
      if (last.ok() && last.output().contains(spiffeId)) {
        return;
      }
      ManagedProcess.sleep(250);
    }
    throw new IllegalStateException("SPIRE Agent did not serve " + spiffeId + " to uid " + uid
        + " within " + timeout + "; last fetch:\n" + (last == null ? "" : last.output())
        + "\n" + logs());
  }

  /** Like {@link #awaitSvid(int, String, Duration)} for a workload told apart by its gid. */
  public void awaitSvidForGid(int gid, String spiffeId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Command.Result last = null;
    while (System.nanoTime() < deadline) {
      last = Command.run(CLI_TIMEOUT, Command.asGid(gid, List.of(
          Tools.require("spire-agent").toString(), "api", "fetch", "x509",
          "-socketPath", agentSocket.toString(), "-timeout", "3s")));
      if (last.ok() && last.output().contains(spiffeId)) {
        return;
      }
      ManagedProcess.sleep(250);
    }
    throw new IllegalStateException("SPIRE Agent did not serve " + spiffeId + " to gid " + gid
        + " within " + timeout + "; last fetch:\n" + (last == null ? "" : last.output())
        + "\n" + logs());
  }

  /** {@code spire-agent api fetch x509} as {@code uid}: what the Workload API gives that uid. */
  public Command.Result fetchX509(int uid) {
    return Command.run(CLI_TIMEOUT, Command.asUid(uid, List.of(
        Tools.require("spire-agent").toString(), "api", "fetch", "x509",
        "-socketPath", agentSocket.toString(), "-timeout", "3s")));
  }

  /** Validates a JWT-SVID with the SPIRE Agent ({@code spire-agent api validate jwt}). */
  public Command.Result validateJwt(String audience, String token) {
    return Command.run(CLI_TIMEOUT, List.of(
        Tools.require("spire-agent").toString(), "api", "validate", "jwt",
        "-socketPath", agentSocket.toString(), "-audience", audience, "-svid", token));
  }

  /** The trust bundle (all X.509 authorities of this trust domain) as PEM. */
  public String bundlePem() {
    return serverCli("bundle", "show", "-format", "pem").orThrow();
  }

  /**
   * Forces an X.509 CA rotation: prepare a new authority, then activate it. Afterwards the bundle
   * holds both CAs and new SVIDs chain to the new one. Returns the new authority ID.
   */
  public String rotateCa() {
    String prepared = prepareCa();
    activateCa(prepared);
    return prepared;
  }

  /**
   * {@code localauthority x509 prepare}: a new X.509 authority joins the trust bundle, but SVIDs
   * are still signed by the active one. Returns the prepared authority's ID.
   */
  public String prepareCa() {
    serverCli("localauthority", "x509", "prepare").orThrow();
    String shown = serverCli("localauthority", "x509", "show", "-output", "json").orThrow();
    Matcher prepared = PREPARED_ID.matcher(shown);
    if (!prepared.find()) {
      throw new IllegalStateException("no prepared authority in:\n" + shown);
    }
    return prepared.group(1);
  }

  /** {@code localauthority x509 activate}: new SVIDs are signed by {@code authorityId} from now. */
  public void activateCa(String authorityId) {
    serverCli("localauthority", "x509", "activate", "-authorityID", authorityId).orThrow();
  }

  /** After {@link #rotateCa()}: the ID of the previous (now old) X.509 authority. */
  public String oldCaId() {
    String shown = serverCli("localauthority", "x509", "show", "-output", "json").orThrow();
    Matcher old = OLD_ID.matcher(shown);
    if (!old.find()) {
      throw new IllegalStateException("no old authority in:\n" + shown);
    }
    return old.group(1);
  }

  /** Marks the old authority tainted: SPIRE Agents re-issue every SVID it signed. */
  public void taintOldCa() {
    serverCli("localauthority", "x509", "taint", "-authorityID", oldCaId()).orThrow();
  }

  /** Removes the (tainted) old authority from the trust bundle. */
  public void revokeOldCa() {
    serverCli("localauthority", "x509", "revoke", "-authorityID", oldCaId()).orThrow();
  }

  /** Runs {@code spire-server <args> -socketPath <ours>}. */
  public Command.Result serverCli(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Tools.require("spire-server").toString());
    int subcommandWords = args.length;
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("-")) {
        subcommandWords = i;
        break;
      }
    }
    command.addAll(List.of(args).subList(0, subcommandWords));
    command.add("-socketPath");
    command.add(serverSocket.toString());
    command.addAll(List.of(args).subList(subcommandWords, args.length));
    return Command.run(CLI_TIMEOUT, command);
  }

  public void startServer() {
    if (server != null && server.isAlive()) {
      return;
    }
    server = ManagedProcess.start("spire-server",
        List.of(Tools.require("spire-server").toString(), "run", "-config", serverConfig.toString()),
        Map.of(), root.path(), root.path().resolve("spire-server.log"));
    awaitHealthy("spire-server", server, serverSocket);
  }

  public void stopServer() {
    if (server != null) {
      server.stop(Duration.ofSeconds(10));
    }
  }

  /** Starts the SPIRE Agent: with a fresh join token the first time, from its stored SVID after. */
  public void startAgent() {
    if (agent != null && agent.isAlive()) {
      return;
    }
    List<String> command = new ArrayList<>(List.of(
        Tools.require("spire-agent").toString(), "run", "-config", agentConfig.toString()));
    if (agentStarts == 0) {
      command.add("-joinToken");
      command.add(generateJoinToken());
    }
    agentStarts++;
    agent = ManagedProcess.start("spire-agent", command, Map.of(), root.path(),
        root.path().resolve("spire-agent.log"));
    awaitHealthy("spire-agent", agent, agentSocket);
  }

  public void stopAgent() {
    if (agent != null) {
      agent.stop(Duration.ofSeconds(10));
    }
  }

  public void restartAgent() {
    stopAgent();
    startAgent();
  }

  /** Everything the SPIRE Agent logged so far (DEBUG: each attestation's selectors). */
  public String agentLog() {
    return agent == null ? "" : agent.output();
  }

  /** The last lines of both logs, for failure reports. */
  public String logs() {
    StringBuilder out = new StringBuilder();
    for (ManagedProcess process : new ManagedProcess[] {server, agent}) {
      if (process != null) {
        out.append("---- ").append(process.name()).append(" log (").append(process.log())
            .append(") ----\n").append(process.tail(80)).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    stopAgent();
    stopServer();
    root.close();
  }

  private String generateJoinToken() {
    String output = serverCli("token", "generate", "-spiffeID", nodeId, "-ttl", "600").orThrow();
    Matcher matcher = TOKEN.matcher(output);
    if (!matcher.find()) {
      throw new IllegalStateException("no join token in:\n" + output);
    }
    return matcher.group(1);
  }

  private void awaitHealthy(String binary, ManagedProcess process, Path socket) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Command.Result last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(binary + " exited; log:\n" + process.tail(60));
      }
      if (Files.exists(socket)) {
        last = Command.run(CLI_TIMEOUT, Tools.require(binary).toString(), "healthcheck",
            "-socketPath", socket.toString());
        if (last.ok()) {
          return;
        }
      }
      ManagedProcess.sleep(200);
    }
    throw new IllegalStateException(binary + " not healthy within 60s; last healthcheck: "
        + (last == null ? "socket never appeared" : last.output()) + "\n" + process.tail(60));
  }

  private void writeServerConfig() {
    Path data = root.dir("server-data");
    int port = FreePorts.next();
    write(serverConfig, """
        server {
          bind_address = "127.0.0.1"
          bind_port = "%d"
          socket_path = "%s"
          trust_domain = "%s"
          data_dir = "%s"
          log_level = "DEBUG"
          ca_ttl = "%ds"
          default_x509_svid_ttl = "%ds"
          default_jwt_svid_ttl = "%ds"
          ca_key_type = "ec-p256"
        }
        plugins {
          DataStore "sql" {
            plugin_data {
              database_type = "sqlite3"
              connection_string = "%s"
            }
          }
          NodeAttestor "join_token" {
            plugin_data {}
          }
          KeyManager "disk" {
            plugin_data {
              keys_path = "%s"
            }
          }
        }
        """.formatted(port, serverSocket, options.trustDomain(), data,
        options.caTtl().toSeconds(), options.svidTtl().toSeconds(), options.jwtTtl().toSeconds(),
        data.resolve("datastore.sqlite3"), data.resolve("keys.json")));
    this.serverPort = port;
  }

  private void writeAgentConfig() {
    Path data = root.dir("agent-data");
    Path bootstrap = root.path().resolve("bootstrap.crt");
    write(bootstrap, bundlePem());
    write(agentConfig, """
        agent {
          data_dir = "%s"
          log_level = "DEBUG"
          server_address = "127.0.0.1"
          server_port = "%d"
          socket_path = "%s"
          trust_bundle_path = "%s"
          trust_domain = "%s"
        }
        plugins {
          NodeAttestor "join_token" {
            plugin_data {}
          }
          KeyManager "disk" {
            plugin_data {
              directory = "%s"
            }
          }
        %s}
        """.formatted(data, serverPort, agentSocket, bootstrap, options.trustDomain(), data,
        workloadAttestors));
  }

  private static void write(Path file, String content) {
    try {
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
