package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.agent.PlaintextUpgradeIT.Upgraded;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: gRPC-Java on {@code grpc-netty-shaded} at its defaults picks its bundled native epoll
 * transport on Linux, which Lanyard's socket hooks cannot reach. With the plaintext upgrade on,
 * Lanyard answers gRPC's {@code Epoll.isAvailable()} with false, so gRPC runs on the JDK NIO
 * transport and its sockets are upgraded: on a strict port the server is served over mTLS (a
 * relay in the middle sees only TLS records, each side's Lanyard records the other's SPIFFE ID)
 * and a plaintext client is refused; a client at its defaults calls a mesh destination over mTLS.
 * Reactor Netty with Netty's native epoll library on its class path does the same. Lanyard says
 * once per {@code Epoll} class that it steered a framework, and lists it in {@code /identity}.
 * Epoll chosen by the application itself stays refused ({@link UnhookedServerBindIT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NativeTransportSteeringIT {
  private static final String HOST = "orders.shop";
  private static final String SHADED_EPOLL = "io.grpc.netty.shaded.io.netty.channel.epoll.Epoll";
  private static final String SHADED_UTILS = "io.grpc.netty.shaded.io.grpc.netty.Utils";
  /** Longer than the other ITs' 20 s: first SVIDs took 13-20 s here at load 30-50. */
  private static final String STARTUP = "wait=60s,then=fail";

  @RegisterExtension
  static final SpireExtension spire =
      SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  @TempDir
  static Path dir;

  private Workload server;
  private Workload client;
  private String hostsFile;

  @BeforeAll
  void register() throws Exception {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5991, "/ns/shop/sa/orders");
    client = Workload.register(cluster, 5992, "/ns/shop/sa/frontend");
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 " + HOST + "\n");
    hostsFile = "-Djdk.net.hosts.file=" + hosts;
  }

  @Test
  void aGrpcShadedServerAtItsDefaultsOnAStrictPortIsServedOverMtls() throws Exception {
    int port = FreePorts.next();
    String admin = "127.0.0.1:" + FreePorts.next();
    Map<String, String> env = new LinkedHashMap<>(Mesh.env(
        "LANYARD_UPGRADE_INBOUND", port + "=strict", "LANYARD_AUDIT", "all",
        "LANYARD_ADMIN_ADDRESS", admin));
    env.putAll(AuditRecords.DOWNWARD_API);
    try (JvmProcess process = child("grpc-defaults-server", server, GrpcDefaultsServer.class,
        env, Integer.toString(port)).start();
        TlsRecordRelay wire = TlsRecordRelay.start(port)) {
      process.awaitOutput("LISTENING port=" + port, Duration.ofSeconds(60));
      process.awaitOutput("port " + port + " is served with mTLS by Lanyard \\(strict",
          Duration.ofSeconds(10));
      assertSteeredOnce(process);

      // The mesh client: a plaintext gRPC client whose own Lanyard carries the call as mTLS with
      // its SVID (Lanyard's listener offers no ALPN, which a TLS gRPC client insists on).
      ClientRun mtls = meshGrpcCall(HOST + ":" + wire.port(), wire.port());

      assertThat(mtls.output()).as(mtls + "\nserver:\n" + process.output())
          .contains("OK status=OK server_peer=none body=peer=none");
      assertThat(wire.violations()).as("bytes on the wire that were not TLS records").isEmpty();
      assertThat(wire.records()).as("TLS records relayed").isGreaterThanOrEqualTo(6);
      assertThat(records(mtls.output(), "tls.connect", "allowed"))
          .as("the client's tls.connect records:\n" + mtls.output())
          .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
              .isEqualTo(server.spiffeId()));
      assertThat(records(process.output(), "tls.accept", "allowed"))
          .as("the server's tls.accept records:\n" + process.output())
          .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
              .isEqualTo(client.spiffeId()));

      ClientRun plain = Mesh.client(spire.cluster(), null, "GrpcClientApp",
          "localhost:" + port, 1, Map.of(), "--tls", "plain");

      assertThat(plain.output()).as(plain.toString()).doesNotContain("OK status=OK");
      assertThat(process.output()).contains("lanyard: WARN plaintext connection from"
          + " 127.0.0.1 to port " + port + " refused: the port is strict");
      assertThat(records(process.output(), "plaintext.accept", "denied")).isNotEmpty()
          .allSatisfy(record -> assertThat(record.path("rule").asText())
              .isEqualTo("plaintext_strict"));
      assertThat(process.output()).doesNotContain("is NOT upgraded")
          .doesNotContain("refused to bind");
      assertThat(Admin.get(admin, "/identity").body())
          .contains("\"native_transports_steered\":[{\"availability\":\"" + SHADED_EPOLL
              + "\",\"asked_by\":\"" + SHADED_UTILS + "\"");
    }
  }

  @Test
  void aGrpcShadedClientAtItsDefaultsCallsAMeshDestinationOverMtls() throws Exception {
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "GrpcServerApp", "strict",
        "LANYARD_STARTUP", STARTUP);
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port())) {
      Map<String, String> env = new LinkedHashMap<>(Mesh.env(
          "LANYARD_UPGRADE_OUTBOUND", wire.port() + "=strict", "LANYARD_AUDIT", "all",
          "LANYARD_ADMIN_ADDRESS", "off"));
      env.putAll(AuditRecords.DOWNWARD_API);
      try (JvmProcess process = child("grpc-defaults-client", client, GrpcDefaultsClient.class,
          env, HOST + ":" + wire.port()).jvmArg(hostsFile).start()) {
        int exit = process.awaitExit(Duration.ofSeconds(90));

        assertThat(exit).as(process.output() + "\nserver:\n" + upgraded.process().output())
            .isZero();
        assertThat(process.output()).contains("OK body=peer=none");
        assertSteeredOnce(process);
        assertThat(wire.violations()).as("bytes on the wire that were not TLS records").isEmpty();
        assertThat(wire.records()).isGreaterThanOrEqualTo(6);
        assertThat(records(process.output(), "tls.connect", "allowed"))
            .as("the client's tls.connect records:\n" + process.output())
            .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
                .isEqualTo(server.spiffeId()));
        assertThat(records(upgraded.process().output(), "tls.accept", "allowed"))
            .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
                .isEqualTo(client.spiffeId()));
      }
    }
  }

  @Test
  void aReactorNettyClientWithTheNativeEpollLibraryCallsAMeshDestinationOverMtls()
      throws Exception {
    // Reactor Netty resolves names with Netty's own DNS client (not the JVM's hosts file): it
    // calls this machine's own non-loopback address, a mesh destination by the IP address rule.
    java.net.InetAddress address = PlaintextOutboundIT.nonLoopbackAddress();
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "JdkHttpsServerApp",
        "strict", "LANYARD_STARTUP", STARTUP);
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port(), address)) {
      Map<String, String> env = new LinkedHashMap<>(Mesh.env(
          "LANYARD_UPGRADE_OUTBOUND", wire.port() + "=strict", "LANYARD_AUDIT", "all",
          "LANYARD_ADMIN_ADDRESS", "off"));
      env.putAll(AuditRecords.DOWNWARD_API);
      // The compat apps leave Netty's native epoll jar out; with it, Reactor Netty's default
      // LoopResources pick epoll (DefaultLoopEpoll asks Epoll.isAvailable()).
      try (JvmProcess process = JvmProcess.builder("reactor-netty-epoll")
          .classpath(Mesh.compatClasspath() + java.io.File.pathSeparator + nativeEpollJars())
          .mainClass("dev.lanyard.compat.ReactorNettyClientApp")
          .args("--url", "http://" + address.getHostAddress() + ":" + wire.port() + "/hello",
              "--requests", "2", "--tls", "plain")
          .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
          .env("LANYARD_STARTUP", STARTUP)
          .env(env)
          .gid(client.gid()).javaagent(Mesh.AGENT_JAR)
          .start()) {
        int exit = process.awaitExit(Duration.ofSeconds(90));

        assertThat(process.output()).as("exit " + exit + "\n" + process.output())
            .contains("OK status=200 server_peer=none body=peer=none")
            .contains("lanyard: steered reactor.netty.resources.DefaultLoopEpoll to the JDK NIO"
                + " transport: it asked io.netty.channel.epoll.Epoll.isAvailable() and Lanyard"
                + " answered false");
        assertThat(wire.violations()).as("bytes on the wire that were not TLS records").isEmpty();
        assertThat(records(process.output(), "tls.connect", "allowed"))
            .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
                .isEqualTo(server.spiffeId()));
        assertThat(records(upgraded.process().output(), "tls.accept", "allowed"))
            .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
                .isEqualTo(client.spiffeId()));
      }
    }
  }

  /** Netty's epoll classes and native library, from this test's class path (spiffe-tls's). */
  private static String nativeEpollJars() {
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    String jars = java.util.Arrays.stream(classpath.split(java.io.File.pathSeparator))
        .filter(entry -> entry.contains("/netty-transport-native-epoll/")
            || entry.contains("/netty-transport-classes-epoll/"))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    assertThat(jars).as("Netty's epoll jars on the test class path")
        .contains("netty-transport-native-epoll");
    return jars;
  }

  /** The compat gRPC client, plaintext, under Lanyard with {@code LANYARD_UPGRADE_OUTBOUND}. */
  private ClientRun meshGrpcCall(String target, int upgradedPort) {
    Map<String, String> env = new LinkedHashMap<>(Mesh.env(
        "LANYARD_UPGRADE_OUTBOUND", upgradedPort + "=strict", "LANYARD_AUDIT", "all",
        "LANYARD_STARTUP", STARTUP));
    env.putAll(AuditRecords.DOWNWARD_API);
    try (JvmProcess process = Mesh.app("GrpcClientApp", spire.cluster(), client, "GrpcClientApp",
        env, "--target", target, "--requests", "2", "--tls", "plain").jvmArg(hostsFile).start()) {
      int exit = process.awaitExit(Duration.ofSeconds(90));
      return new ClientRun("GrpcClientApp", exit, process.output());
    }
  }

  /** One INFO line naming gRPC's Epoll class, who asked, and why. */
  private static void assertSteeredOnce(JvmProcess process) {
    String steered = "lanyard: steered " + SHADED_UTILS + " to the JDK NIO transport: it asked "
        + SHADED_EPOLL + ".isAvailable() and Lanyard answered false";
    process.awaitOutput(Pattern.quote(steered), Duration.ofSeconds(10));
    assertThat(process.output().split(Pattern.quote("lanyard: steered "), -1))
        .as(process.output()).hasSize(2);
  }

  /** A test main of this module under the javaagent as {@code workload}. */
  private JvmProcess.Builder child(String name, Workload workload, Class<?> main,
      Map<String, String> env, String... args) {
    return JvmProcess.builder(name)
        .classpath(childClasspath())
        .mainClass(main.getName())
        .args(args)
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_STARTUP", STARTUP)
        .env(env)
        .gid(workload.gid()).javaagent(Mesh.AGENT_JAR);
  }

  /**
   * This module's test classes, grpc-netty-shaded with gRPC, Guava and perfmark (java-spiffe's),
   * and the compat apps' {@code PeerService}; nothing of Lanyard's but the agent jar.
   */
  private static String childClasspath() {
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    return java.util.Arrays.stream(classpath.split(java.io.File.pathSeparator))
        .filter(entry -> entry.endsWith("test-classes") || entry.contains("/io/grpc/")
            || entry.contains("/com/google/") || entry.contains("/io/perfmark/")
            || entry.contains("/compat-apps/target/"))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  private static List<JsonNode> records(String output, String action, String result) {
    List<JsonNode> records = new ArrayList<>();
    for (JsonNode record : AuditRecords.in(output, AuditRecords.action(action))) {
      if (result.equals(record.path("result").asText())) {
        records.add(record);
      }
    }
    return records;
  }
}
