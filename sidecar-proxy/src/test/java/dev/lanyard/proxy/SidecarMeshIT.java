package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three real sidecars on real SPIRE, with Python (standard library) as the workloads:
 *
 * <pre>
 * python client → sidecar A (proxy, static route) ══mTLS══▶ sidecar B (inbound) → python app
 * python client → sidecar C (intruder)            ══mTLS══▶ sidecar B: refused by B
 * python client → sidecar A                        ══mTLS══▶ sidecar C (inbound): refused by A
 * </pre>
 *
 * {@code localhost} is the mesh host name ({@code LANYARD_MESH_HOSTS=localhost}); {@code
 * 127.0.0.1} stands for a public, non-mesh destination.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SidecarMeshIT {
  static final String ID_A = "spiffe://lanyard.test/ns/a/sa/caller";
  static final String ID_B = "spiffe://lanyard.test/ns/b/sa/server";
  static final String ID_C = "spiffe://lanyard.test/ns/c/sa/intruder";
  static final int GID_A = 6101;
  static final int GID_B = 6102;
  static final int GID_C = 6103;
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(5)).build();

  static TempDir dir;
  static ManagedProcess app;
  static int appPort;
  static int meshB;
  static int meshC;
  static int proxyA;
  static int staticA;
  static int proxyC;
  static JvmProcess sidecarA;
  static JvmProcess sidecarB;
  static JvmProcess sidecarC;
  static SidecarProcess configC;

  @BeforeAll
  static void startMesh() {
    SpireCluster cluster = spire.cluster();
    cluster.register(ID_A, "unix:gid:" + GID_A);
    cluster.register(ID_B, "unix:gid:" + GID_B);
    cluster.register(ID_C, "unix:gid:" + GID_C);
    dir = TempDir.create("lanyard-sidecar-mesh-");
    appPort = FreePorts.next();
    meshB = FreePorts.next();
    meshC = FreePorts.next();
    proxyA = FreePorts.next();
    staticA = FreePorts.next();
    proxyC = FreePorts.next();
    app = Python.app(dir, appPort);
    cluster.awaitSvidForGid(GID_A, ID_A, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(GID_B, ID_B, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(GID_C, ID_C, Duration.ofSeconds(30));
    sidecarB = SidecarProcess.builder("sidecar-b", GID_B, cluster)
        .env("LANYARD_INBOUND", meshB + ":" + appPort)
        .env("LANYARD_ALLOWED_PEERS", "spiffe://lanyard.test/ns/a/**")
        .env("LANYARD_HANDSHAKE_TIMEOUT", "2s")
        .start();
    sidecarA = SidecarProcess.builder("sidecar-a", GID_A, cluster)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxyA)
        .env("LANYARD_OUTBOUND", "127.0.0.1:" + staticA + "=localhost:" + meshB)
        .env("LANYARD_MESH_HOSTS", "localhost")
        .env("LANYARD_ALLOWED_PEERS", "spiffe://lanyard.test/ns/b/**")
        .start();
    configC = SidecarProcess.builder("sidecar-c", GID_C, cluster)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxyC)
        .env("LANYARD_INBOUND", meshC + ":" + appPort)
        .env("LANYARD_MESH_HOSTS", "localhost")
        // Short, and only here: an idle timeout also ends requests waiting that long for an answer.
        .env("LANYARD_IDLE_TIMEOUT", "3s");
    sidecarC = configC.start();
  }

  @AfterAll
  static void stopMesh() {
    for (AutoCloseable closeable : new AutoCloseable[] {sidecarA, sidecarB, sidecarC, app, dir}) {
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
  @Order(1)
  void pythonClientReachesPythonAppOverMtlsAndTheAppSeesTheCallersVerifiedId() {
    String out = Python.client("127.0.0.1:" + proxyA, CLIENT_TIMEOUT,
        "get", "http://localhost:" + meshB + "/hello?x=1", "spiffe://lanyard.test/ns/evil/sa/forged");

    assertThat(out).contains("status 200").contains("\"path\": \"/hello?x=1\"")
        .contains("server_peer " + ID_B);
    // The forged header is gone and exactly one verified value is there.
    assertThat(out).contains("\"peer_ids\": [\"" + ID_A + "\"]").doesNotContain("forged");
    sidecarB.awaitOutput("\"type\":\"lanyard.access\",\"listener\":\"inbound:" + meshB
        + "\".*\"peer_spiffe_id\":\"" + ID_A + "\"", Duration.ofSeconds(10));
    sidecarA.awaitOutput("\"listener\":\"outbound-proxy:[^\"]*\".*\"upstream\":\"localhost:" + meshB
        + "\",\"peer_spiffe_id\":\"" + ID_B + "\"", Duration.ofSeconds(10));
  }

  @Test
  @Order(2)
  void staticTcpRouteCarriesHttpAndRawBytesOverMtls() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", staticA)) {
      socket.setSoTimeout(20_000);
      send(socket, "GET /raw HTTP/1.1\r\nHost: app\r\nx-lanyard-peer-id: spiffe://forged\r\n"
          + "Connection: close\r\n\r\n");
      String response = readAll(socket.getInputStream());
      assertThat(response).startsWith("HTTP/1.0 200").contains("\"peer_ids\": [\"" + ID_A + "\"]")
          .doesNotContain("forged");
    }
    try (Socket socket = new Socket("127.0.0.1", staticA)) {
      socket.setSoTimeout(20_000);
      // Not a request: B's HTTP mesh port answers 400 itself; nothing unlabelled reaches the app.
      send(socket, "HELLO THERE\r\n\r\n");
      assertThat(readAll(socket.getInputStream())).startsWith("HTTP/1.1 400")
          .contains("lanyard: malformed HTTP request");
    }
  }

  @Test
  @Order(2)
  void halfCloseTravelsBothHopsAndTheAnswerStillComesBack() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", staticA)) {
      socket.setSoTimeout(20_000);
      send(socket, "GET /half-closed HTTP/1.1\r\nHost: app\r\n\r\n");
      // FIN from the client: A sends close_notify to B, B sends FIN to the app; the app answers.
      socket.shutdownOutput();
      assertThat(readAll(socket.getInputStream())).startsWith("HTTP/1.0 200").contains("/half-closed");
    }
  }

  @Test
  @Order(2)
  void anUpgradedConnectionIsRelayedRawAfterTheLabelledRequest() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", staticA)) {
      socket.setSoTimeout(20_000);
      send(socket, "GET /ws HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
      String head = readHead(socket.getInputStream());
      assertThat(head).startsWith("HTTP/1.0 101").contains("X-Seen-Peer-Id: " + ID_A);
      // Not HTTP any more: these bytes must reach the app untouched, and come back.
      String frames = "GET /not-a-request HTTP/1.1\r\nX-Lanyard-Peer-Id: raw\r\n\r\n";
      send(socket, frames);
      byte[] echoed = socket.getInputStream().readNBytes(frames.length());
      assertThat(new String(echoed, StandardCharsets.ISO_8859_1)).isEqualTo(frames);
    }
  }

  @Test
  @Order(3)
  void connectTunnelsOnlyToNonMeshHosts() {
    String refused = Python.client("127.0.0.1:" + proxyA, CLIENT_TIMEOUT,
        "connect", "localhost:" + meshB, "/");
    assertThat(refused).contains("tunnel refused").contains("403");
    sidecarA.awaitOutput("proxy_403: lanyard: CONNECT to mesh host localhost:" + meshB
        + " refused", Duration.ofSeconds(10));

    String tunnelled = Python.client("127.0.0.1:" + proxyA, CLIENT_TIMEOUT,
        "connect", "127.0.0.1:" + appPort, "/through-tunnel");
    assertThat(tunnelled).contains("status 200").contains("/through-tunnel")
        .contains("\"peer_ids\": []");
  }

  @Test
  @Order(4)
  void malformedProxyRequestsGetA400WithAReason() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", proxyA)) {
      socket.setSoTimeout(10_000);
      send(socket, "GET /relative HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(readAll(socket.getInputStream())).startsWith("HTTP/1.1 400")
          .contains("origin-form, but this is a forward proxy");
    }
    try (Socket socket = new Socket("127.0.0.1", proxyA)) {
      socket.setSoTimeout(10_000);
      send(socket, "\u0001\u0002 garbage \u00ff\r\n\r\n");
      assertThat(readAll(socket.getInputStream())).startsWith("HTTP/1.1 400").contains("lanyard:");
    }
    assertThat(sidecarA.isAlive()).isTrue();
  }

  @Test
  @Order(5)
  void unauthorizedPeersAreRefusedInBothDirectionsAndTheRefusingSideNamesThem() {
    // C → B: B accepts only ns/a, so B refuses C's client certificate (inbound).
    int markB = sidecarB.output().length();
    int markA = sidecarA.output().length();
    String intoB = Python.client("127.0.0.1:" + proxyC, CLIENT_TIMEOUT,
        "get", "http://localhost:" + meshB + "/");
    assertThat(intoB).contains("status 502");
    sidecarB.awaitOutput("refused inbound TLS from peer " + ID_C, Duration.ofSeconds(10));
    AuditRecords.assertOneRefusalSince(sidecarB::output, markB, "tls.accept", ID_C);

    // A → C: A accepts only ns/b servers, so A refuses C's server certificate (outbound).
    String fromA = Python.client("127.0.0.1:" + proxyA, CLIENT_TIMEOUT,
        "get", "http://localhost:" + meshC + "/");
    assertThat(fromA).contains("status 502").contains("refused outbound TLS to peer " + ID_C);
    sidecarA.awaitOutput("refused outbound TLS to peer " + ID_C, Duration.ofSeconds(10));
    AuditRecords.assertOneRefusalSince(sidecarA::output, markA, "tls.connect", ID_C);
  }

  @Test
  @Order(6)
  void aOneGibBodyStreamsThroughBothSidecarsWithBoundedMemory() throws Exception {
    long size = 1L << 30;
    String idleA = status(sidecarA, "VmRSS:");
    String idleB = status(sidecarB, "VmRSS:");
    long started = System.nanoTime();
    String out = Python.client("127.0.0.1:" + proxyA, Duration.ofSeconds(400),
        "post", "http://localhost:" + meshB + "/upload", Long.toString(size));
    long millis = (System.nanoTime() - started) / 1_000_000;

    assertThat(out).contains("status 200").contains("\"received\": " + size)
        .contains("\"peer_ids\": [\"" + ID_A + "\"]");
    assertThat(sidecarA.isAlive()).isTrue();
    assertThat(sidecarB.isAlive()).isTrue();
    System.out.printf("1 GiB through A and B (-Xmx64m): %d ms, %.1f MiB/s; RSS before A %s, B %s;"
        + " peak RSS A %s, B %s%n", millis, 1024_000.0 / millis, idleA, idleB,
        status(sidecarA, "VmHWM:"), status(sidecarB, "VmHWM:"));
    // Heap and Netty's direct memory are capped at 64 MiB each (-Xmx64m); the peak resident size
    // of the whole process stays far below the body, so nothing buffered it (natively either).
    assertThat(kib(status(sidecarA, "VmHWM:"))).isLessThan(320 * 1024);
    assertThat(kib(status(sidecarB, "VmHWM:"))).isLessThan(320 * 1024);
  }

  @Test
  @Order(7)
  void silentTlsClientsAreDroppedAtTheHandshakeTimeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", meshB)) {
      socket.setSoTimeout(15_000);
      long started = System.nanoTime();
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
      long millis = (System.nanoTime() - started) / 1_000_000;
      System.out.println("silent TLS client closed after " + millis + " ms (handshake timeout 2s)");
      assertThat(millis).isBetween(1_500L, 6_000L);
    }
    sidecarB.awaitOutput("handshake_timeout", Duration.ofSeconds(10));
  }

  @Test
  @Order(8)
  void idleConnectionsAreClosedAtTheIdleTimeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", proxyC)) {
      socket.setSoTimeout(15_000);
      long started = System.nanoTime();
      int first;
      try {
        first = socket.getInputStream().read();
      } catch (SocketTimeoutException e) {
        first = -2;
      }
      long millis = (System.nanoTime() - started) / 1_000_000;
      System.out.println("idle connection closed after " + millis + " ms (idle timeout 3s)");
      assertThat(first).isEqualTo(-1);
      assertThat(millis).isBetween(2_500L, 8_000L);
    }
    sidecarC.awaitOutput("idle_timeout", Duration.ofSeconds(10));
  }

  @Test
  @Order(9)
  void postShutdownDrainsAndExitsCleanly() throws Exception {
    String[] address = configC.env("LANYARD_SHUTDOWN_ADDRESS").split(":");
    try (Socket socket = new Socket(address[0], Integer.parseInt(address[1]))) {
      socket.setSoTimeout(10_000);
      send(socket, "POST /shutdown HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
      assertThat(readAll(socket.getInputStream())).startsWith("HTTP/1.1 202");
    }
    assertThat(sidecarC.awaitExit(Duration.ofSeconds(20))).isZero();
    assertThat(sidecarC.output()).contains("lanyard: draining").contains("lanyard: stopped");
  }

  private static void send(Socket socket, String text) throws Exception {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static String readHead(InputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  private static String readAll(InputStream in) throws Exception {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  private static long kib(String statusValue) {
    return Long.parseLong(statusValue.replace("kB", "").trim());
  }

  /** A line of /proc/PID/status, e.g. VmRSS (resident now) or VmHWM (the most it ever was). */
  static String status(JvmProcess process, String field) {
    try {
      for (String line : Files.readAllLines(java.nio.file.Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith(field)) {
          return line.substring(field.length()).trim();
        }
      }
    } catch (Exception e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }
}
