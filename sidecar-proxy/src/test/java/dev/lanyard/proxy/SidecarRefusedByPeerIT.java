package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The caller learns why (issue 20), with the sidecar on either side of a refusal of our SVID:
 *
 * <pre>
 * JdkHttpClientApp + javaagent (stranger) ══mTLS══▶ sidecar inbound (allows the client only)
 * python client → sidecar (outbound proxy) ══mTLS══▶ JettyServerApp + javaagent (allows the client only)
 * </pre>
 *
 * The refused JVM client's exception and log line name the sidecar, the alert BoringSSL sent and
 * the likely cause; the refused sidecar's 502, WARN line and audit record name the JVM server.
 */
class SidecarRefusedByPeerIT {
  static final String SIDECAR_ID = "spiffe://lanyard.test/ns/py/sa/agent";
  static final String JVM_SERVER_ID = "spiffe://lanyard.test/ns/jvm/sa/server";
  static final String JVM_CLIENT_ID = "spiffe://lanyard.test/ns/jvm/sa/client";
  static final String STRANGER_ID = "spiffe://lanyard.test/ns/other/sa/stranger";
  static final int SIDECAR_GID = 6521;
  static final int JVM_SERVER_GID = 6522;
  static final int JVM_CLIENT_GID = 6523;
  static final int STRANGER_GID = 6524;

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(5)).build();

  static TempDir dir;
  static ManagedProcess app;
  static JvmProcess sidecar;
  static JvmProcess jvmServer;
  static int jvmServerPort;
  static int mesh;
  static int proxy;

  @BeforeAll
  static void start() {
    SpireCluster cluster = spire.cluster();
    cluster.register(SIDECAR_ID, "unix:gid:" + SIDECAR_GID);
    cluster.register(JVM_SERVER_ID, "unix:gid:" + JVM_SERVER_GID);
    cluster.register(JVM_CLIENT_ID, "unix:gid:" + JVM_CLIENT_GID);
    cluster.register(STRANGER_ID, "unix:gid:" + STRANGER_GID);
    dir = TempDir.create("lanyard-refused-by-peer-");
    int appPort = FreePorts.next();
    mesh = FreePorts.next();
    proxy = FreePorts.next();
    app = Python.app(dir, appPort);
    cluster.awaitSvidForGid(SIDECAR_GID, SIDECAR_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(JVM_SERVER_GID, JVM_SERVER_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(STRANGER_GID, STRANGER_ID, Duration.ofSeconds(30));
    // The JVM server allows only the client, not the sidecar. Jetty, not the JDK HttpsServer:
    // against that one the proxy got neither an alert nor a close within 60 s.
    jvmServer = JavaagentApps.compatApp(spire, "jvm-server", JVM_SERVER_GID, "JettyServerApp",
        JVM_CLIENT_ID, "--port", "0", "--tls", "default").start();
    jvmServerPort = Integer.parseInt(
        jvmServer.awaitOutput("LISTENING port=(\\d+)", Duration.ofSeconds(60)).group(1));
    sidecar = SidecarProcess.builder("sidecar", SIDECAR_GID, cluster)
        .env("LANYARD_INBOUND", mesh + ":" + appPort)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxy)
        .env("LANYARD_MESH_HOSTS", "localhost")
        .env("LANYARD_ALLOWED_PEERS", JVM_SERVER_ID + "," + JVM_CLIENT_ID)
        .start();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {sidecar, jvmServer, app, dir}) {
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
  void aJvmClientRefusedByTheSidecarLearnsWhyInItsExceptionAndLog() {
    String out;
    try (JvmProcess client = JavaagentApps.compatApp(spire, "stranger", STRANGER_GID,
        "JdkHttpClientApp", SIDECAR_ID, "--url", "https://localhost:" + mesh + "/refused",
        "--requests", "1", "--tls", "default").start()) {
      assertThat(client.awaitExit(Duration.ofSeconds(90))).isNotZero();
      out = client.output();
    }

    String expected = "localhost:" + mesh + " (" + SIDECAR_ID + ") refused our X.509-SVID "
        + STRANGER_ID + " with TLS alert ";
    assertThat(line(out, "FAIL ")).contains("lanyard: " + expected)
        .contains("likely " + STRANGER_ID + " is not in the peer's allowed peers");
    assertThat(line(out, "lanyard: WARN ")).contains(expected);
    assertThat(AuditRecords.in(out, AuditRecords.action("tls.refused_by_peer")))
        .isNotEmpty()
        .allSatisfy(record -> assertThat(record.path("rule").asText())
            .isEqualTo("peer_refused_not_allowed"));
  }

  @Test
  void theSidecarRefusedByAJvmServerSaysWhyInThe502ItsLogAndItsAudit() {
    int mark = sidecar.output().length();

    String out = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60),
        "get", "http://localhost:" + jvmServerPort + "/hello");

    String expected = "localhost:" + jvmServerPort + " (" + JVM_SERVER_ID
        + ") refused our X.509-SVID " + SIDECAR_ID + " with TLS alert ";
    assertThat(out).contains("status 502").contains(expected)
        .contains("likely " + SIDECAR_ID + " is not in the peer's allowed peers");
    sidecar.awaitOutput("lanyard: WARN " + java.util.regex.Pattern.quote(expected),
        Duration.ofSeconds(10));
    String since = sidecar.output().substring(mark);
    assertThat(AuditRecords.in(since, AuditRecords.action("tls.refused_by_peer")))
        .hasSize(1)
        .allSatisfy(record -> {
          assertThat(record.path("rule").asText()).isEqualTo("peer_refused_not_allowed");
          assertThat(record.path("peer_spiffe_id").asText()).isEqualTo(JVM_SERVER_ID);
          assertThat(record.path("spiffe_id").asText()).isEqualTo(SIDECAR_ID);
        });
  }

  private static String line(String output, String prefix) {
    return output.lines().filter(l -> l.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no line starting with " + prefix + " in:\n" + output));
  }
}
