package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.Tools;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sidecar speaks the same mTLS as ghostunnel (Go's crypto/tls, SVIDs from the same SPIRE
 * Agent), in both directions:
 *
 * <pre>
 * socket → ghostunnel client ══mTLS══▶ sidecar inbound → python app   (app sees ghostunnel's ID)
 * python client → sidecar proxy ══mTLS══▶ ghostunnel server → python app
 * python client → sidecar proxy ══mTLS══▶ ghostunnel server that allows someone else: refused
 * socket → ghostunnel client (not allowed) ══mTLS══▶ sidecar inbound: refused by us
 * python client → sidecar proxy ══mTLS══▶ ghostunnel server (not allowed): refused by us
 * </pre>
 */
class GhostunnelInteropIT {
  static final String SIDECAR_ID = "spiffe://lanyard.test/ns/lanyard/sa/sidecar";
  static final String GT_CLIENT_ID = "spiffe://lanyard.test/ns/gt/sa/client";
  static final String GT_SERVER_ID = "spiffe://lanyard.test/ns/gt/sa/server";
  static final int SIDECAR_GID = 6201;
  static final int GT_CLIENT_GID = 6202;
  static final int GT_SERVER_GID = 6203;
  /** Outside the sidecar's policy ({@code ns/gt/**}). */
  static final String INTRUDER_ID = "spiffe://lanyard.test/ns/other/sa/intruder";
  static final int INTRUDER_GID = 6204;

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(5)).build();

  static TempDir dir;
  static ManagedProcess app;
  static JvmProcess sidecar;
  static final List<ManagedProcess> ghostunnels = new ArrayList<>();
  static int appPort;
  static int mesh;
  static int proxy;
  static int gtClientPort;
  static int gtServerPort;
  static int gtStrictServerPort;
  static int intruderClientPort;
  static int intruderServerPort;

  @BeforeAll
  static void start() {
    SpireCluster cluster = spire.cluster();
    cluster.register(SIDECAR_ID, "unix:gid:" + SIDECAR_GID);
    cluster.register(GT_CLIENT_ID, "unix:gid:" + GT_CLIENT_GID);
    cluster.register(GT_SERVER_ID, "unix:gid:" + GT_SERVER_GID);
    cluster.register(INTRUDER_ID, "unix:gid:" + INTRUDER_GID);
    dir = TempDir.create("lanyard-sidecar-ghostunnel-");
    appPort = FreePorts.next();
    mesh = FreePorts.next();
    proxy = FreePorts.next();
    gtClientPort = FreePorts.next();
    gtServerPort = FreePorts.next();
    gtStrictServerPort = FreePorts.next();
    intruderClientPort = FreePorts.next();
    intruderServerPort = FreePorts.next();
    app = Python.app(dir, appPort);
    cluster.awaitSvidForGid(SIDECAR_GID, SIDECAR_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(GT_CLIENT_GID, GT_CLIENT_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(GT_SERVER_GID, GT_SERVER_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(INTRUDER_GID, INTRUDER_ID, Duration.ofSeconds(30));
    String socket = "unix://" + cluster.agentSocket();
    ghostunnel("gt-client", GT_CLIENT_GID, List.of("client", "--use-workload-api-addr", socket,
        "--listen", "127.0.0.1:" + gtClientPort, "--target", "localhost:" + mesh,
        "--verify-uri", SIDECAR_ID), gtClientPort);
    ghostunnel("gt-server", GT_SERVER_GID, List.of("server", "--use-workload-api-addr", socket,
        "--listen", "127.0.0.1:" + gtServerPort, "--target", "127.0.0.1:" + appPort,
        "--allow-uri", SIDECAR_ID), gtServerPort);
    ghostunnel("gt-strict-server", GT_SERVER_GID, List.of("server", "--use-workload-api-addr", socket,
        "--listen", "127.0.0.1:" + gtStrictServerPort, "--target", "127.0.0.1:" + appPort,
        "--allow-uri", "spiffe://lanyard.test/ns/gt/sa/someone-else"), gtStrictServerPort);
    ghostunnel("gt-intruder-client", INTRUDER_GID, List.of("client", "--use-workload-api-addr", socket,
        "--listen", "127.0.0.1:" + intruderClientPort, "--target", "localhost:" + mesh,
        "--verify-uri", SIDECAR_ID), intruderClientPort);
    ghostunnel("gt-intruder-server", INTRUDER_GID, List.of("server", "--use-workload-api-addr", socket,
        "--listen", "127.0.0.1:" + intruderServerPort, "--target", "127.0.0.1:" + appPort,
        "--allow-uri", SIDECAR_ID), intruderServerPort);
    sidecar = SidecarProcess.builder("sidecar", SIDECAR_GID, cluster)
        .env("LANYARD_INBOUND", mesh + ":" + appPort)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxy)
        .env("LANYARD_MESH_HOSTS", "localhost")
        .env("LANYARD_ALLOWED_PEERS", "spiffe://lanyard.test/ns/gt/**")
        .start();
  }

  private static void ghostunnel(String name, int gid, List<String> args, int port) {
    List<String> command = new ArrayList<>();
    command.add(Tools.require("ghostunnel").toString());
    command.addAll(args);
    ManagedProcess process = ManagedProcess.start(name, Command.asGid(gid, command), Map.of(),
        dir.path(), dir.path().resolve(name + ".log"));
    ghostunnels.add(process);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        if (probe.isConnected()) {
          return;
        }
      } catch (java.io.IOException notYet) {
        if (!process.isAlive()) {
          break;
        }
        sleep(200);
      }
    }
    throw new IllegalStateException(name + " is not listening on " + port + ":\n" + process.tail(40));
  }

  @AfterAll
  static void stop() {
    List<AutoCloseable> all = new ArrayList<>(ghostunnels);
    all.add(sidecar);
    all.add(app);
    all.add(dir);
    for (AutoCloseable closeable : all) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
  }

  @Test
  void ghostunnelClientReachesTheAppThroughOurInboundAndTheAppSeesItsId() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", gtClientPort)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /from-ghostunnel HTTP/1.1\r\nHost: app\r\nX-Lanyard-Peer-Id: spiffe://forged\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(response).startsWith("HTTP/1.0 200").contains("/from-ghostunnel")
          .contains("\"peer_ids\": [\"" + GT_CLIENT_ID + "\"]").doesNotContain("forged");
    }
    sidecar.awaitOutput("\"peer_spiffe_id\":\"" + GT_CLIENT_ID + "\"", Duration.ofSeconds(10));
  }

  @Test
  void ourOutboundProxyReachesAGhostunnelServerThatAllowsUs() {
    String out = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60),
        "get", "http://localhost:" + gtServerPort + "/to-ghostunnel");
    assertThat(out).contains("status 200").contains("/to-ghostunnel")
        .contains("server_peer " + GT_SERVER_ID);
    sidecar.awaitOutput("\"upstream\":\"localhost:" + gtServerPort + "\",\"peer_spiffe_id\":\""
        + GT_SERVER_ID + "\"", Duration.ofSeconds(10));
  }

  @Test
  void aGhostunnelServerThatAllowsSomeoneElseRefusesUsAndTheClientGetsA502() {
    String out = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60),
        "get", "http://localhost:" + gtStrictServerPort + "/");
    assertThat(out).satisfiesAnyOf(
        text -> assertThat(text).contains("status 502"),
        // With TLS 1.3 the client finishes before the server checks its certificate, so the
        // refusal can arrive as a closed connection after the request was sent.
        text -> assertThat(text).contains("RemoteDisconnected"));
    assertThat(out).doesNotContain("status 200");
  }

  @Test
  void weRefuseAGhostunnelClientOutsideOurPolicyAndNameIt() throws Exception {
    int mark = sidecar.output().length();
    try (Socket socket = new Socket("127.0.0.1", intruderClientPort)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /intrusion HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String response;
      try {
        response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      } catch (java.io.IOException reset) {
        response = reset.toString();
      }
      assertThat(response).doesNotContain("200").doesNotContain("/intrusion");
    }
    sidecar.awaitOutput("refused inbound TLS from peer " + INTRUDER_ID, Duration.ofSeconds(10));
    AuditRecords.assertOneRefusalSince(sidecar::output, mark, "tls.accept", INTRUDER_ID);
  }

  @Test
  void weRefuseAGhostunnelServerOutsideOurPolicyAndTheClientGetsA502NamingIt() {
    int mark = sidecar.output().length();
    String out = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60),
        "get", "http://localhost:" + intruderServerPort + "/");
    assertThat(out).contains("status 502").contains("refused outbound TLS to peer " + INTRUDER_ID);
    sidecar.awaitOutput("refused outbound TLS to peer " + INTRUDER_ID, Duration.ofSeconds(10));
    AuditRecords.assertOneRefusalSince(sidecar::output, mark, "tls.connect", INTRUDER_ID);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
