package dev.lanyard.bench;

import dev.lanyard.bench.SidecarBench.Config;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.Tools;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Process control of {@link SidecarBench}: starts the backend, the ghostunnel pair and the sidecar
 * pairs, each listening or ready before it returns, records their commands and start-to-ready
 * times in the report, and keeps every child in {@code children} for the bench to stop.
 */
final class SidecarSetups {
  private static final Pattern READY_LINE = Pattern.compile("sidecar ready \\([a-z]+, (\\d+) ms");

  private final SidecarReport report;
  private final Path logs;
  private final List<SidecarChild> children;

  SidecarSetups(SidecarReport report, Path logs, List<SidecarChild> children) {
    this.report = report;
    this.logs = logs;
    this.children = children;
  }

  int startBackend() throws IOException {
    String classpath = SidecarBench.COMPAT.resolve("classes") + ":"
        + Files.readString(SidecarBench.COMPAT.resolve("classpath.txt")).trim();
    List<String> command = JvmProcess.builder("backend").classpath(classpath)
        .mainClass("dev.lanyard.compat.NettyServerApp").args("--port", "0", "--tls", "plain").command();
    SidecarChild backend = SidecarChild.start("backend", command, Map.of(), logs);
    children.add(backend);
    report.backendCommand = String.join(" ", command);
    return Integer.parseInt(backend.awaitLine("LISTENING port=(\\d+)", Duration.ofSeconds(60)).group(1));
  }

  Config ghostunnel(SpireCluster spire, int backendPort,
      String serverId, String clientId) {
    String socket = "unix://" + spire.agentSocket();
    int serverPort = FreePorts.next();
    int clientPort = FreePorts.next();
    String ghostunnel = Tools.require("ghostunnel").toString();
    List<String> server = Command.asGid(SidecarBench.SERVER_GID, List.of(ghostunnel, "server",
        "--use-workload-api-addr", socket, "--listen", "127.0.0.1:" + serverPort,
        "--target", "127.0.0.1:" + backendPort, "--allow-uri", clientId));
    List<String> client = Command.asGid(SidecarBench.CLIENT_GID, List.of(ghostunnel, "client",
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

  Config sidecarPair(String name, Path jar, List<String> flags, SpireCluster spire,
      int backendPort, String serverId, String clientId) {
    int mesh = FreePorts.next();
    int clientPort = FreePorts.next();
    String serverAdmin = "127.0.0.1:" + FreePorts.next();
    SidecarChild server = startSidecar(name + "-server", SidecarBench.SERVER_GID, jar, flags, sidecarEnv(spire,
        serverAdmin, "LANYARD_INBOUND", mesh + ":" + backendPort, "LANYARD_ALLOWED_PEERS", clientId));
    SidecarChild client = startSidecar(name + "-client", SidecarBench.CLIENT_GID, jar, flags, sidecarEnv(spire,
        "127.0.0.1:" + FreePorts.next(), "LANYARD_OUTBOUND", "127.0.0.1:" + clientPort + "=localhost:" + mesh,
        "LANYARD_ALLOWED_PEERS", serverId));
    return new Config(name, clientPort, List.of(client, server), serverAdmin);
  }

  static Map<String, String> sidecarEnv(SpireCluster spire, String admin, String... keyValues) {
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

  private SidecarChild startSidecar(String name, int gid, Path jar, List<String> flags,
      Map<String, String> env) {
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

  static String register(SpireCluster spire, int gid, String path) {
    String id = "spiffe://" + spire.trustDomain() + path;
    spire.register(id, "unix:gid:" + gid);
    spire.awaitSvidForGid(gid, id, Duration.ofSeconds(60));
    return id;
  }
}
