package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SlowClients;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sidecar's admin surface (issue 17, items 4 and 5), with real sidecar processes and real
 * SPIRE: held connections do not stall the admin endpoint or the health port the kubelet probes,
 * the health port serves readiness and nothing else, and {@code POST /shutdown} cannot be reached
 * through an inbound route.
 */
class SidecarAdminIT {
  static final String ID_CALLER = "spiffe://lanyard.test/ns/admin/sa/caller";
  static final String ID_SERVER = "spiffe://lanyard.test/ns/admin/sa/server";
  static final int GID_CALLER = 6711;
  static final int GID_SERVER = 6712;
  private static final int HELD = 8;
  /** AdminServer's read timeout (5 s) plus slack for a loaded 2-core machine. */
  private static final Duration CLOSED_WITHIN = Duration.ofSeconds(15);
  private static final Duration ANSWERED_WITHIN = Duration.ofSeconds(3);

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().build();

  @Test
  void heldConnectionsStallNeitherTheAdminEndpointNorTheHealthPort() throws Exception {
    SpireCluster cluster = spire.cluster();
    cluster.register(ID_SERVER, "unix:gid:" + GID_SERVER);
    cluster.awaitSvidForGid(GID_SERVER, ID_SERVER, Duration.ofSeconds(30));
    InetSocketAddress health = new InetSocketAddress("127.0.0.1", FreePorts.next());
    int appPort = FreePorts.next();
    try (TempDir dir = TempDir.create("lanyard-sidecar-admin-");
        ManagedProcess app = Python.app(dir, appPort)) {
      SidecarProcess config = SidecarProcess.builder("sidecar-admin", GID_SERVER, cluster)
          .env("LANYARD_INBOUND", FreePorts.next() + ":" + appPort)
          .env("LANYARD_HEALTH_ADDRESS", "127.0.0.1:" + health.getPort());
      InetSocketAddress admin = address(config.env("LANYARD_ADMIN_ADDRESS"));
      try (JvmProcess sidecar = config.start()) {
        for (InetSocketAddress target : new InetSocketAddress[] {admin, health}) {
          try (SlowClients held = SlowClients.hold(target, HELD)) {
            SlowClients.Answer ready = SlowClients.get(target, "/ready", ANSWERED_WITHIN);
            assertThat(ready.status()).as("%s /ready: %s", target, ready.text()).isEqualTo(200);
            if (target == admin) {
              SlowClients.Answer identity = SlowClients.get(admin, "/identity", ANSWERED_WITHIN);
              assertThat(identity.body()).contains("\"spiffe_id\":\"" + ID_SERVER + "\"");
            }
            held.awaitClosedByServer(CLOSED_WITHIN);
          }
        }
        // The health port faces the pod network: readiness only, and it names no identity.
        assertThat(SlowClients.get(health, "/ready", ANSWERED_WITHIN).body())
            .doesNotContain("spiffe://");
        for (String path : new String[] {"/identity", "/audit", "/metrics"}) {
          SlowClients.Answer answer = SlowClients.get(health, path, ANSWERED_WITHIN);
          assertThat(answer.status()).as(path).isEqualTo(404);
          assertThat(answer.body()).doesNotContain("spiffe://");
        }
        assertThat(sidecar.isAlive()).isTrue();
      }
    }
  }

  /**
   * A mesh peer (sidecar A, holding its SVID, allowed by B's policy) calls B's inbound route that
   * leads to B's own shutdown port. Before the fix B started with that route, and the peer's
   * {@code POST /shutdown} arrived from loopback (B's own relay) and drained B. Now B refuses the
   * configuration at start, naming the port and what listens there.
   */
  @Test
  void anInboundRouteToTheShutdownPortIsRefusedSoNoMeshPeerCanDrainTheSidecar() throws Exception {
    SpireCluster cluster = spire.cluster();
    cluster.register(ID_CALLER, "unix:gid:" + GID_CALLER);
    cluster.register(ID_SERVER + "-b", "unix:gid:" + (GID_SERVER + 10));
    cluster.awaitSvidForGid(GID_CALLER, ID_CALLER, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(GID_SERVER + 10, ID_SERVER + "-b", Duration.ofSeconds(30));
    int meshB = FreePorts.next();
    int routeA = FreePorts.next();
    SidecarProcess configB = SidecarProcess.builder("sidecar-b", GID_SERVER + 10, cluster);
    int shutdownB = address(configB.env("LANYARD_SHUTDOWN_ADDRESS")).getPort();
    configB.env("LANYARD_INBOUND", meshB + ":" + shutdownB);

    try (JvmProcess sidecarB = configB.launch()) {
      Matcher outcome = sidecarB.awaitOutput("sidecar ready|bad configuration: .*",
          Duration.ofSeconds(60));
      if (outcome.group().contains("sidecar ready")) {
        try (JvmProcess sidecarA = SidecarProcess.builder("sidecar-a", GID_CALLER, cluster)
            .env("LANYARD_OUTBOUND", "127.0.0.1:" + routeA + "=localhost:" + meshB)
            .env("LANYARD_MESH_HOSTS", "localhost")
            .start()) {
          String answer = post(new InetSocketAddress("127.0.0.1", routeA), "/shutdown");
          fail("sidecar B started with an inbound route to its own shutdown port " + shutdownB
              + "; mesh peer " + ID_CALLER + " sent POST /shutdown through it and got: "
              + answer.lines().findFirst().orElse("(nothing)") + "; B exited with "
              + sidecarB.awaitExit(Duration.ofSeconds(30)));
        }
      }
      assertThat(sidecarB.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
      assertThat(outcome.group()).contains(
          "LANYARD_INBOUND entry " + meshB + ":" + shutdownB,
          "app port " + shutdownB + " is the sidecar's own POST /shutdown"
              + " (LANYARD_SHUTDOWN_ADDRESS)");
    }
  }

  private static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static String post(InetSocketAddress address, String path) throws Exception {
    try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[4096];
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
