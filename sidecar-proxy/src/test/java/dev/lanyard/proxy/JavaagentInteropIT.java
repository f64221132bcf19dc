package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sidecar and the javaagent speak the same mTLS, in both directions, with plain programs on
 * either end (Python's standard library; the compat apps, which have no Lanyard dependency):
 *
 * <pre>
 * python client → sidecar (outbound proxy) ══mTLS══▶ JdkHttpsServerApp + javaagent
 * JdkHttpClientApp + javaagent ══mTLS══▶ sidecar (inbound) → python http.server
 * </pre>
 *
 * Each side sees the other's SPIFFE ID: the JVM server answers with the caller's ID and the proxy
 * hands the server's verified ID to the Python client ({@code X-Lanyard-Peer-Id} on the response);
 * the JVM client prints the server certificate's ID and the Python app gets the header.
 */
class JavaagentInteropIT {
  static final String SIDECAR_ID = "spiffe://lanyard.test/ns/py/sa/agent";
  static final String JVM_SERVER_ID = "spiffe://lanyard.test/ns/jvm/sa/server";
  static final String JVM_CLIENT_ID = "spiffe://lanyard.test/ns/jvm/sa/client";
  static final int SIDECAR_GID = 6501;
  static final int JVM_SERVER_GID = 6502;
  static final int JVM_CLIENT_GID = 6503;
  static final Path AGENT_JAR = Path.of(System.getProperty("lanyard.javaagent.jar",
      "../javaagent/target/lanyard-javaagent.jar")).toAbsolutePath();
  static final Path COMPAT = Path.of(System.getProperty("lanyard.compat.dir",
      "../compat-apps/target")).toAbsolutePath();

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
    dir = TempDir.create("lanyard-sidecar-javaagent-");
    int appPort = FreePorts.next();
    mesh = FreePorts.next();
    proxy = FreePorts.next();
    app = Python.app(dir, appPort);
    cluster.awaitSvidForGid(SIDECAR_GID, SIDECAR_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(JVM_SERVER_GID, JVM_SERVER_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(JVM_CLIENT_GID, JVM_CLIENT_ID, Duration.ofSeconds(30));
    jvmServer = compatApp("jvm-server", JVM_SERVER_GID, "JdkHttpsServerApp", SIDECAR_ID,
        "--port", "0", "--tls", "default").start();
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
  void pythonClientThroughTheOutboundProxyReachesAJavaagentServer() {
    String out = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60),
        "get", "http://localhost:" + jvmServerPort + "/hello");

    assertThat(out).contains("status 200")
        .contains("server_peer " + JVM_SERVER_ID)
        .contains("peer=" + SIDECAR_ID);
    sidecar.awaitOutput("\"upstream\":\"localhost:" + jvmServerPort + "\",\"peer_spiffe_id\":\""
        + JVM_SERVER_ID + "\"", Duration.ofSeconds(10));
  }

  @Test
  void javaagentClientReachesAPythonServerThroughTheInboundListener() {
    String out;
    int exit;
    try (JvmProcess client = compatApp("jvm-client", JVM_CLIENT_GID, "JdkHttpClientApp", SIDECAR_ID,
        "--url", "https://localhost:" + mesh + "/from-jvm", "--requests", "2", "--tls", "default")
        .start()) {
      exit = client.awaitExit(Duration.ofSeconds(90));
      out = client.output();
    }

    assertThat(exit).as(out).isZero();
    assertThat(out).contains("OK status=200 server_peer=" + SIDECAR_ID)
        .contains("\"path\": \"/from-jvm\"")
        .contains("\"peer_ids\": [\"" + JVM_CLIENT_ID + "\"]")
        .contains("SUMMARY ok=2 failed=0");
    sidecar.awaitOutput("\"listener\":\"inbound:" + mesh + "\".*\"peer_spiffe_id\":\""
        + JVM_CLIENT_ID + "\"", Duration.ofSeconds(10));
  }

  /** A compat app (no Lanyard dependency) in its own JVM with the real javaagent jar. */
  private static JvmProcess.Builder compatApp(String name, int gid, String app, String allowedPeer,
      String... args) {
    if (!Files.isRegularFile(AGENT_JAR)) {
      throw new IllegalStateException(AGENT_JAR + " is missing: run ./mvnw -pl javaagent -am install");
    }
    return JvmProcess.builder(name)
        .classpath(compatClasspath())
        .mainClass("dev.lanyard.compat." + app)
        .args(args)
        .gid(gid)
        .javaagent(AGENT_JAR)
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next())
        .env("LANYARD_STARTUP", "wait=20s,then=fail")
        .env("LANYARD_ALLOWED_PEERS", allowedPeer);
  }

  private static String compatClasspath() {
    try {
      return COMPAT.resolve("classes") + ":" + Files.readString(COMPAT.resolve("classpath.txt")).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("compat-apps not built: run ./mvnw -pl compat-apps package", e);
    }
  }
}
