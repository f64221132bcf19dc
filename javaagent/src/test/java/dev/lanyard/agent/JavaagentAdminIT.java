package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.SlowClients;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The javaagent's admin endpoint against held connections (issue 17, item 4), in a real JVM with
 * the real agent jar and real SPIRE: clients that each send one byte and hold the connection do
 * not delay {@code /ready} or {@code /identity} for another client, and are closed after the read
 * timeout (5 s). The JDK HttpServer the endpoint used before had one worker and no timeout: the
 * first held connection stalled every admin request.
 */
class JavaagentAdminIT {
  private static final int HELD = 8;
  /** The admin server's read timeout (spiffe-tls AdminServer.READ_TIMEOUT) plus slack for load. */
  private static final Duration CLOSED_WITHIN = Duration.ofSeconds(5 + 10);
  /** A quick answer on a loaded 2-core machine; a stalled server never answers. */
  private static final Duration ANSWERED_WITHIN = Duration.ofSeconds(3);

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().build();

  @Test
  void heldConnectionsDelayNoAdminRequestAndAreClosedAfterTheReadTimeout() throws Exception {
    SpireCluster cluster = spire.cluster();
    Workload workload = Workload.register(cluster, 5711, "/ns/admin/sa/server");
    workload.awaitSvid(cluster);
    InetSocketAddress admin = new InetSocketAddress("127.0.0.1", FreePorts.next());

    try (Server server = Mesh.server(cluster, workload, "JdkHttpsServerApp",
        Mesh.env("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + admin.getPort()))) {
      awaitReady(admin);
      try (SlowClients held = SlowClients.hold(admin, HELD)) {
        SlowClients.Answer ready = SlowClients.get(admin, "/ready", ANSWERED_WITHIN);
        SlowClients.Answer identity = SlowClients.get(admin, "/identity", ANSWERED_WITHIN);

        assertThat(ready.status()).as(ready.text()).isEqualTo(200);
        assertThat(identity.status()).as(identity.text()).isEqualTo(200);
        assertThat(identity.body()).contains("\"spiffe_id\":\"" + workload.spiffeId() + "\"");
        held.awaitClosedByServer(CLOSED_WITHIN);
      }
      assertThat(server.process().isAlive()).isTrue();
      assertThat(server.process().output()).doesNotContain("admin endpoint disabled");
    }
  }

  private static void awaitReady(InetSocketAddress admin) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        if (SlowClients.get(admin, "/ready", Duration.ofSeconds(5)).status() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("admin endpoint " + admin + " not ready within 30 s");
      }
      Thread.sleep(200);
    }
  }
}
