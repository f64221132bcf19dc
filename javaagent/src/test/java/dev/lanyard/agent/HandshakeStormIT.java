package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9 point 2, handshake storm during rotation: a javaagent client JVM makes fresh TLS
 * handshakes from many threads to a javaagent server JVM while SPIRE rotates both SVIDs (20 s TTL,
 * so a rotation every 10-15 s on each side): zero failed handshakes, and every side's new SVIDs
 * are seen by the other.
 *
 * <p>Two pairs at once, so both TLS stacks are stormed: gRPC on Netty/OpenSSL (a new channel, and
 * with it a new client {@code SslContext} and session cache, per request: every request is a full
 * handshake) and OkHttp against the JDK {@code HttpsServer} (JSSE; a new connection per request,
 * which resumes where it can, so the server's full handshakes are counted from its audit records:
 * one {@code tls.accept} record per trust decision, resumed sessions make none). A chain from one
 * SVID sent with another SVID's key fails the peer's signature check, so it would show up here
 * as a failed request.
 */
class HandshakeStormIT {
  private static final Duration SVID_TTL = Duration.ofSeconds(20);
  private static final int THREADS = 6;
  private static final Pattern ACCEPT_SERIAL =
      Pattern.compile("\"action\":\"tls\\.accept\".*?\"peer_serial\":\"([0-9a-f]+)\"");
  private static final Pattern CONNECT_SERIAL =
      Pattern.compile("\"action\":\"tls\\.connect\".*?\"peer_serial\":\"([0-9a-f]+)\"");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(SVID_TTL).build();

  @Test
  void freshHandshakesOnManyThreadsThroughRotationsNeverFail() throws Exception {
    SpireCluster cluster = spire.cluster();
    Workload server = Workload.register(cluster, 5301, "/ns/storm/sa/server");
    Workload client = Workload.register(cluster, 5302, "/ns/storm/sa/client");
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    String serverAdmin = "127.0.0.1:" + FreePorts.next();
    String clientAdmin = "127.0.0.1:" + FreePorts.next();
    String grpcClientAdmin = "127.0.0.1:" + FreePorts.next();

    long started = System.nanoTime();
    try (Server grpc = Mesh.server(cluster, server, "GrpcServerApp",
            Mesh.env("LANYARD_AUDIT", "all", "LANYARD_ADMIN_ADDRESS", serverAdmin));
        Server jdk = Mesh.server(cluster, server, "JdkHttpsServerApp",
            Mesh.env("LANYARD_AUDIT", "all"));
        JvmProcess grpcClient = Mesh.app("grpc-storm", cluster, client, "GrpcClientApp",
            Mesh.env("LANYARD_AUDIT", "all", "LANYARD_ADMIN_ADDRESS", grpcClientAdmin),
            "--target", grpc.target(), "--requests", "0", "--concurrency",
            Integer.toString(THREADS), "--tls", "default", "--new-connection-per-request").start();
        JvmProcess okhttp = Mesh.app("okhttp-storm", cluster, client, "OkHttpClientApp",
            Mesh.env("LANYARD_AUDIT", "all", "LANYARD_ADMIN_ADDRESS", clientAdmin),
            "--url", jdk.httpsUrl(), "--requests", "0", "--concurrency",
            Integer.toString(THREADS), "--tls", "default", "--new-connection-per-request")
            .start()) {
      grpcClient.awaitOutput("OK status=", Duration.ofSeconds(60));
      okhttp.awaitOutput("OK status=", Duration.ofSeconds(60));
      // At least two rotations of each side while the storm runs.
      long serverBase = Admin.rotationCount(serverAdmin);
      long clientBase = Admin.rotationCount(grpcClientAdmin);
      awaitRotations(serverAdmin, serverBase + 2, Duration.ofSeconds(60));
      awaitRotations(grpcClientAdmin, clientBase + 2, Duration.ofSeconds(30));
      Thread.sleep(2_000); // handshakes with the last SVIDs too
      long serverRotations = Admin.rotationCount(serverAdmin) - serverBase;
      long clientRotations = Admin.rotationCount(grpcClientAdmin) - clientBase;
      grpcClient.stop();
      okhttp.stop();
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      String grpcSummary = summary(grpcClient.output());
      String okhttpSummary = summary(okhttp.output());
      Set<String> grpcServerSerials = serials(CONNECT_SERIAL, grpcClient.output());
      Set<String> jdkServerSerials = serials(CONNECT_SERIAL, okhttp.output());
      Set<String> grpcClientSerials = serials(ACCEPT_SERIAL, grpc.process().output());
      Set<String> jdkClientSerials = serials(ACCEPT_SERIAL, jdk.process().output());
      long grpcFull = count(ACCEPT_SERIAL, grpc.process().output());
      long jdkFull = count(ACCEPT_SERIAL, jdk.process().output());
      System.out.println("handshake storm: " + THREADS + " threads per client, server rotations "
          + serverRotations + ", client rotations " + clientRotations + ", " + took.toSeconds()
          + " s"
          + " | gRPC/Netty-OpenSSL: " + grpcSummary + ", full handshakes at the server " + grpcFull
          + ", distinct server serials seen by the client " + grpcServerSerials.size()
          + ", distinct client serials seen by the server " + grpcClientSerials.size()
          + " | OkHttp->JDK HttpsServer: " + okhttpSummary + ", full handshakes at the server "
          + jdkFull + ", distinct server serials seen by the client " + jdkServerSerials.size()
          + ", distinct client serials seen by the server " + jdkClientSerials.size());

      assertThat(grpcSummary).as(failures(grpcClient.output())).matches("SUMMARY ok=[1-9]\\d* failed=0 .*");
      assertThat(okhttpSummary).as(failures(okhttp.output())).matches("SUMMARY ok=[1-9]\\d* failed=0 .*");
      assertThat(grpc.process().output()).doesNotContain("\"result\":\"denied\"");
      assertThat(jdk.process().output()).doesNotContain("\"result\":\"denied\"");
      // Initial SVID plus two rotations on each side.
      assertThat(grpcServerSerials).hasSizeGreaterThanOrEqualTo(3);
      assertThat(grpcClientSerials).hasSizeGreaterThanOrEqualTo(3);
      assertThat(jdkServerSerials).hasSizeGreaterThanOrEqualTo(3);
      assertThat(jdkClientSerials).hasSizeGreaterThanOrEqualTo(3);
      assertThat(grpcFull).as("full handshakes in the gRPC storm").isGreaterThan(100);
      assertThat(jdkFull).as("full handshakes at the JDK server").isGreaterThan(20);
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
      Thread.sleep(500);
    }
    throw new AssertionError("rotation_count at " + admin + " is " + seen + ", expected >= "
        + atLeast + " within " + within);
  }

  private static Set<String> serials(Pattern pattern, String output) {
    Set<String> serials = new TreeSet<>();
    Matcher serial = pattern.matcher(output);
    while (serial.find()) {
      serials.add(serial.group(1));
    }
    return serials;
  }

  private static long count(Pattern pattern, String output) {
    return pattern.matcher(output).results().count();
  }

  /** The first few FAIL lines, for the assertion message. */
  private static String failures(String output) {
    return output.lines().filter(line -> line.startsWith("FAIL")).limit(10)
        .reduce("", (a, b) -> a + b + "\n");
  }

  private static String summary(String output) {
    return output.lines().filter(line -> line.startsWith("SUMMARY")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no SUMMARY line in:\n" + output));
  }
}
