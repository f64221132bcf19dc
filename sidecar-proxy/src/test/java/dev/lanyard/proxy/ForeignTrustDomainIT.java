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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two SPIRE deployments that do not federate: a sidecar of {@code lanyard.test} refuses a peer of
 * {@code foreign.test} in both directions, even with a policy that names that trust domain,
 * because it holds no bundle to verify the foreign SVID with; the same for a foreign ghostunnel
 * server that would accept us.
 */
class ForeignTrustDomainIT {
  static final String HOME_ID = "spiffe://lanyard.test/ns/home/sa/sidecar";
  static final String FOREIGN_ID = "spiffe://foreign.test/ns/f/sa/outsider";
  static final int HOME_GID = 6401;
  static final int FOREIGN_GID = 6402;

  @RegisterExtension
  static final SpireExtension home = SpireExtension.builder().svidTtl(Duration.ofMinutes(5)).build();

  @RegisterExtension
  static final SpireExtension foreign = SpireExtension.builder().trustDomain("foreign.test")
      .svidTtl(Duration.ofMinutes(5)).build();

  static TempDir dir;
  static ManagedProcess app;
  static JvmProcess homeSidecar;
  static JvmProcess foreignSidecar;
  static int meshHome;
  static int meshForeign;
  static int proxyHome;
  static int foreignGhostunnel;
  static ManagedProcess ghostunnel;

  @BeforeAll
  static void start() {
    home.cluster().register(HOME_ID, "unix:gid:" + HOME_GID);
    foreign.cluster().register(FOREIGN_ID, "unix:gid:" + FOREIGN_GID);
    dir = TempDir.create("lanyard-sidecar-foreign-");
    int appPort = FreePorts.next();
    meshHome = FreePorts.next();
    meshForeign = FreePorts.next();
    proxyHome = FreePorts.next();
    foreignGhostunnel = FreePorts.next();
    app = Python.app(dir, appPort);
    home.cluster().awaitSvidForGid(HOME_GID, HOME_ID, Duration.ofSeconds(30));
    foreign.cluster().awaitSvidForGid(FOREIGN_GID, FOREIGN_ID, Duration.ofSeconds(30));
    String bothDomains = "spiffe://lanyard.test/**,spiffe://foreign.test/**";
    homeSidecar = SidecarProcess.builder("home-sidecar", HOME_GID, home.cluster())
        .env("LANYARD_INBOUND", meshHome + ":" + appPort)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxyHome)
        .env("LANYARD_MESH_HOSTS", "localhost")
        .env("LANYARD_ALLOWED_PEERS", bothDomains)
        .start();
    foreignSidecar = SidecarProcess.builder("foreign-sidecar", FOREIGN_GID, foreign.cluster())
        .env("LANYARD_INBOUND", meshForeign + ":" + appPort)
        .env("LANYARD_ALLOWED_PEERS", bothDomains)
        .start();
    // A ghostunnel server of the foreign trust domain that would let us in: the refusal is ours.
    ghostunnel = ManagedProcess.start("foreign-ghostunnel", Command.asGid(FOREIGN_GID, List.of(
        Tools.require("ghostunnel").toString(), "server", "--use-workload-api-addr",
        "unix://" + foreign.cluster().agentSocket(), "--listen", "127.0.0.1:" + foreignGhostunnel,
        "--target", "127.0.0.1:" + appPort, "--allow-uri", HOME_ID)), java.util.Map.of(),
        dir.path(), dir.path().resolve("foreign-ghostunnel.log"));
    awaitListening(foreignGhostunnel);
  }

  private static void awaitListening(int port) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (java.io.IOException notYet) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    throw new IllegalStateException("foreign ghostunnel is not listening:\n" + ghostunnel.tail(40));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {homeSidecar, foreignSidecar, ghostunnel, app, dir}) {
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
  void aForeignClientIsRefusedInbound() {
    // A client that does not check the server, so that it gets as far as presenting its SVID.
    Path svid = dir.dir("foreign-svid");
    Command.run(Duration.ofSeconds(30), Command.asGid(FOREIGN_GID, List.of(
        Tools.require("spire-agent").toString(), "api", "fetch", "x509",
        "-socketPath", foreign.cluster().agentSocket().toString(), "-write", svid.toString())))
        .orThrow();
    int mark = homeSidecar.output().length();
    String out = Python.client("127.0.0.1:1", Duration.ofSeconds(60), "tls", "127.0.0.1:" + meshHome,
        svid.resolve("svid.0.pem").toString(), svid.resolve("svid.0.key").toString());

    assertThat(out).doesNotContain("HTTP/1.0 200");
    homeSidecar.awaitOutput("refused inbound TLS from peer " + FOREIGN_ID, Duration.ofSeconds(10));
    AuditRecords.assertOneRefusalSince(homeSidecar::output, mark, "tls.accept", FOREIGN_ID);
  }

  @Test
  void aForeignServerIsRefusedOutbound() {
    int mark = homeSidecar.output().length();
    String out = Python.client("127.0.0.1:" + proxyHome, Duration.ofSeconds(60),
        "get", "http://localhost:" + meshForeign + "/");

    assertThat(out).contains("status 502").contains("refused outbound TLS to peer " + FOREIGN_ID);
    homeSidecar.awaitOutput("refused outbound TLS to peer " + FOREIGN_ID, Duration.ofSeconds(10));
    AuditRecords.assertOneRefusalSince(homeSidecar::output, mark, "tls.connect", FOREIGN_ID);
  }

  @Test
  void aForeignGhostunnelServerIsRefusedOutbound() {
    int mark = homeSidecar.output().length();
    String out = Python.client("127.0.0.1:" + proxyHome, Duration.ofSeconds(60),
        "get", "http://localhost:" + foreignGhostunnel + "/");

    assertThat(out).contains("status 502").contains("refused outbound TLS to peer " + FOREIGN_ID)
        .doesNotContain("status 200");
    homeSidecar.awaitOutput("refused outbound TLS to peer " + FOREIGN_ID + ".*", Duration.ofSeconds(10));
    AuditRecords.assertOneRefusalSince(homeSidecar::output, mark, "tls.connect", FOREIGN_ID);
  }
}
