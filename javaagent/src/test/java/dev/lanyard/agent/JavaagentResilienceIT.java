package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The javaagent keeps traffic flowing through rotations and SPIRE Agent outages, and follows its startup policy. */
class JavaagentResilienceIT {
  private static final Duration SVID_TTL = Duration.ofSeconds(60);
  private static final Pattern PEER_SERIAL =
      Pattern.compile("\"action\":\"tls\\.accept\".*?\"peer_serial\":\"([0-9a-f]+)\"");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(SVID_TTL).build();

  @Test
  void rotationsAndASpireAgentRestartUnderLoadFailNoRequest() throws Exception {
    SpireCluster cluster = spire.cluster();
    Workload server = Workload.register(cluster, 5201, "/ns/load/sa/server");
    Workload client = Workload.register(cluster, 5202, "/ns/load/sa/client");
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    String serverAdmin = "127.0.0.1:" + FreePorts.next();
    String clientAdmin = "127.0.0.1:" + FreePorts.next();

    try (Server jdk = Mesh.server(cluster, server, "JdkHttpsServerApp",
            Mesh.env("LANYARD_AUDIT", "all", "LANYARD_ADMIN_ADDRESS", serverAdmin));
        JvmProcess warm = Mesh.app("warm-client", cluster, client, "JdkHttpClientApp",
            Mesh.env("LANYARD_ADMIN_ADDRESS", clientAdmin), "--url", jdk.httpsUrl(),
            "--requests", "0", "--interval-ms", "100", "--tls", "default").start();
        JvmProcess fresh = Mesh.app("fresh-client", cluster, client, "OkHttpClientApp", Map.of(),
            "--url", jdk.httpsUrl(), "--requests", "0", "--interval-ms", "200", "--tls", "default",
            "--new-connection-per-request").start()) {
      awaitRotations(serverAdmin, 1, Duration.ofSeconds(60));

      // The SPIRE Agent goes away for 15 s, well inside the SVIDs' remaining life.
      cluster.stopAgent();
      Thread.sleep(15_000);
      cluster.startAgent();
      long beforeRestart = Admin.rotationCount(serverAdmin);

      awaitRotations(serverAdmin, Math.max(3, beforeRestart + 1), Duration.ofSeconds(120));
      // Three client rotations: the server has seen four distinct client SVIDs on new connections.
      Set<String> clientSerials = awaitClientSerials(jdk, 4, Duration.ofSeconds(150));
      warm.stop();
      fresh.stop();

      String warmSummary = summary(warm.output());
      String freshSummary = summary(fresh.output());
      assertThat(warmSummary).as(warm.output()).matches("SUMMARY ok=[1-9]\\d* failed=0 .*");
      assertThat(freshSummary).as(fresh.output()).matches("SUMMARY ok=[1-9]\\d* failed=0 .*");
      assertThat(clientSerials).as("client serials seen by the server").hasSizeGreaterThanOrEqualTo(4);
      System.out.println("rotation under load: " + warmSummary + " | " + freshSummary
          + " | client serials seen by server: " + clientSerials.size()
          + " | server rotations: " + Admin.rotationCount(serverAdmin));
    }
  }

  @Test
  void thenFailStopsTheApplicationWithAClearMessageWithinTheWait(@TempDir Path dir) {
    Workload server = Workload.register(spire.cluster(), 5211, "/ns/start/sa/fail");
    long started = System.nanoTime();
    try (JvmProcess app = Mesh.app("fail", spire.cluster(), server, "JdkHttpsServerApp",
        Mesh.env("SPIFFE_ENDPOINT_SOCKET", "unix://" + dir.resolve("absent.sock"),
            "LANYARD_STARTUP", "wait=3s,then=fail"),
        "--port", "0", "--tls", "default").start()) {
      int exit = app.awaitExit(Duration.ofSeconds(30));
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(exit).isEqualTo(75);
      assertThat(app.output()).contains("lanyard: no X.509-SVID from the SPIRE Workload API at unix://"
          + dir.resolve("absent.sock") + " after 3s").contains("then=fail");
      assertThat(took).isLessThan(Duration.ofSeconds(20));
    }
  }

  @Test
  void thenDegradeRunsTheAppRefusesMeshTlsAndRecoversWithoutARestart(@TempDir Path dir)
      throws Exception {
    SpireCluster cluster = spire.cluster();
    Workload server = Workload.register(cluster, 5221, "/ns/start/sa/server");
    Workload late = Workload.register(cluster, 5222, "/ns/start/sa/late-client");
    server.awaitSvid(cluster);
    late.awaitSvid(cluster);
    Path socket = dir.resolve("late.sock");
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    String admin = "127.0.0.1:" + FreePorts.next();

    try (Server jdk = Mesh.server(cluster, server, "JdkHttpsServerApp", Map.of());
        JvmProcess client = Mesh.app("degraded", cluster, late, "JdkHttpClientApp",
            Mesh.env("SPIFFE_ENDPOINT_SOCKET", "unix://" + socket,
                "LANYARD_STARTUP", "wait=2s,then=degrade", "LANYARD_ADMIN_ADDRESS", admin),
            "--url", jdk.httpsUrl(), "--requests", "0", "--interval-ms", "300", "--tls", "default")
            .start()) {
      client.awaitOutput("FAIL .*lanyard: .*no X.509-SVID", Duration.ofSeconds(30));
      assertThat(Admin.get(admin, "/ready").statusCode()).isEqualTo(503);

      // The SPIRE Agent socket appears: no restart, the SVID arrives and mesh calls succeed.
      Files.createSymbolicLink(socket, cluster.agentSocket());
      client.awaitOutput("OK status=200 server_peer=" + Pattern.quote(server.spiffeId()),
          Duration.ofSeconds(30));
      assertThat(Admin.get(admin, "/ready").statusCode()).isEqualTo(200);
      assertThat(client.isAlive()).isTrue();
    }
  }

  private static void awaitRotations(String admin, long atLeast, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    long seen = -1;
    while (System.nanoTime() < deadline) {
      seen = Admin.rotationCount(admin);
      if (seen >= atLeast) {
        return;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("rotation_count at " + admin + " is " + seen + ", expected >= "
        + atLeast + " within " + within);
  }

  /** Waits until the server's audit records show {@code atLeast} distinct client serials. */
  private static Set<String> awaitClientSerials(Server server, int atLeast, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    Set<String> serials = new TreeSet<>();
    while (System.nanoTime() < deadline) {
      serials.clear();
      Matcher serial = PEER_SERIAL.matcher(server.process().output());
      while (serial.find()) {
        serials.add(serial.group(1));
      }
      if (serials.size() >= atLeast) {
        return serials;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("the server saw " + serials.size() + " client serials " + serials
        + ", expected >= " + atLeast + " within " + within);
  }

  private static String summary(String output) {
    return output.lines().filter(line -> line.startsWith("SUMMARY")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no SUMMARY line in:\n" + output));
  }
}
