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
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Plain-HTTP (and plaintext gRPC) clients, unchanged, calling a mesh host over {@code http://}
 * with {@code LANYARD_UPGRADE_OUTBOUND}: the call goes out as mTLS (a relay in the middle sees
 * only TLS records) to a plain server upgraded by {@code LANYARD_UPGRADE_INBOUND}; each side's
 * Lanyard records the other's SPIFFE ID; secure naming refuses a server whose ID the host may not
 * present; a server without Lanyard is called in clear text on a permissive port (counted and
 * recorded) and not at all on a strict one. The mesh host {@code orders.shop} is 127.0.0.1 in
 * the client JVM's own hosts file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlaintextOutboundIT {
  private static final String HOST = "orders.shop";

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  @TempDir
  static Path dir;

  private Workload server;
  private Workload client;
  private String hostsFile;

  @BeforeAll
  void register() throws Exception {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5911, "/ns/shop/sa/orders");
    client = Workload.register(cluster, 5912, "/ns/shop/sa/frontend");
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 " + HOST + "\n");
    hostsFile = "-Djdk.net.hosts.file=" + hosts;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"JdkHttpClientApp", "HttpsUrlConnectionApp", "OkHttpClientApp",
      "ApacheHttpClientApp", "ReactorNettyClientApp"})
  void aPlainHttpCallToAMeshHostGoesOutAsMtls(String app) throws Exception {
    // Reactor Netty resolves names with Netty's own DNS client (not the JVM's hosts file): it
    // calls this machine's own non-loopback address, a mesh destination by the IP address rule.
    boolean byAddress = app.equals("ReactorNettyClientApp");
    InetAddress address = byAddress ? nonLoopbackAddress() : InetAddress.getLoopbackAddress();
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "JdkHttpsServerApp",
        "strict");
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port(), address)) {
      String host = byAddress ? address.getHostAddress() : HOST;
      ClientRun run = call(app, "http://" + host + ":" + wire.port() + "/hello",
          wire.port() + "=strict");

      assertThat(run.output()).as(run + "\nserver:\n" + upgraded.process().output())
          .contains("OK status=200 server_peer=none body=peer=none");
      assertThat(wire.violations()).as("bytes on the wire that were not TLS records").isEmpty();
      assertThat(wire.records()).isGreaterThanOrEqualTo(6);
      assertThat(records(run.output(), "tls.connect", "allowed"))
          .as("the client's tls.connect records:\n" + run.output())
          .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
              .isEqualTo(server.spiffeId()));
      assertThat(records(upgraded.process().output(), "tls.accept", "allowed"))
          .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
              .isEqualTo(client.spiffeId()));
    }
  }

  @Test
  void aPlaintextGrpcCallToAMeshHostGoesOutAsMtls() throws Exception {
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "GrpcServerApp", "strict");
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port())) {
      ClientRun run = call("GrpcClientApp", HOST + ":" + wire.port(), wire.port() + "=strict");

      assertThat(run.output()).as(run + "\nserver:\n" + upgraded.process().output())
          .contains("OK ");
      assertThat(wire.violations()).isEmpty();
      assertThat(records(run.output(), "tls.connect", "allowed"))
          .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
              .isEqualTo(server.spiffeId()));
    }
  }

  @Test
  void secureNamingRefusesAServerWhoseIdTheHostMayNotPresent() throws Exception {
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "JdkHttpsServerApp",
        "strict")) {
      String payments = "spiffe://" + spire.cluster().trustDomain() + "/ns/shop/sa/payments";
      ClientRun run = call("JdkHttpClientApp", "http://" + HOST + ":" + upgraded.port() + "/hello",
          1, upgraded.port() + "=strict", "LANYARD_SERVER_IDS", HOST + "=" + payments);

      assertThat(run.output()).as(run.toString())
          .contains("status=502")
          .contains("lanyard: refused outbound mTLS to " + HOST + ":" + upgraded.port())
          .doesNotContain("status=200");
      JsonNode refusal = AuditRecords.assertOneRefusal(run.output(), "tls.connect",
          server.spiffeId());
      assertThat(refusal.path("rule").asText()).isEqualTo("server_ids");
    }
  }

  @Test
  void aServerWithoutLanyardIsCalledInClearTextOnlyWhenPermissive() throws Exception {
    int port = FreePorts.next();
    try (JvmProcess plain = Mesh.app("plain server", spire.cluster(), null, "JdkHttpsServerApp",
        Map.of(), "--port", Integer.toString(port), "--tls", "plain").start()) {
      plain.awaitOutput("LISTENING port=", Duration.ofSeconds(60));
      String url = "http://" + HOST + ":" + port + "/hello";

      ClientRun permissive = call("JdkHttpClientApp", url, port + "=permissive");
      assertThat(permissive.output()).as(permissive.toString())
          .contains("OK status=200 server_peer=none body=peer=none");
      assertThat(records(permissive.output(), "plaintext.connect", "allowed"))
          .as(permissive.toString()).isNotEmpty()
          .allSatisfy(record -> assertThat(record.path("rule").asText())
              .isEqualTo("plaintext_fallback"));

      ClientRun strict = call("JdkHttpClientApp", url, 1, port + "=strict");
      assertThat(strict.output()).as(strict.toString())
          .contains("status=502")
          .contains("refused: the server did not complete a TLS handshake")
          .doesNotContain("status=200");
      JsonNode refusal = AuditRecords.assertOneRefusal(strict.output(), "plaintext.connect",
          null);
      assertThat(refusal.path("rule").asText()).isEqualTo("plaintext_refused");
    }
  }

  /** Runs a client app under the agent with {@code LANYARD_UPGRADE_OUTBOUND=upgrade}. */
  private ClientRun call(String app, String target, String upgrade, String... env) {
    return call(app, target, 2, upgrade, env);
  }

  private ClientRun call(String app, String target, int requests, String upgrade,
      String... env) {
    Map<String, String> settings = new LinkedHashMap<>(Mesh.env(
        "LANYARD_UPGRADE_OUTBOUND", upgrade, "LANYARD_AUDIT", "all"));
    settings.putAll(AuditRecords.DOWNWARD_API);
    settings.putAll(Mesh.env(env));
    try (JvmProcess process = Mesh.app(app, spire.cluster(), client, app, settings,
        app.startsWith("Grpc") ? "--target" : "--url", target, "--requests", Integer.toString(requests),
        "--tls", "plain").jvmArg(hostsFile).start()) {
      int exit = process.awaitExit(Duration.ofSeconds(90));
      return new ClientRun(app, exit, process.output());
    }
  }

  /** This machine's first IPv4 address that is neither loopback nor link-local. */
  /** This machine's first IPv4 address that is not loopback: a mesh destination by the IP rule. */
  static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : java.util.Collections.list(
        NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress address : java.util.Collections.list(nic.getInetAddresses())) {
        if (address instanceof java.net.Inet4Address && !address.isLoopbackAddress()
            && !address.isLinkLocalAddress()) {
          return address;
        }
      }
    }
    throw new AssertionError("this machine has no IPv4 address besides loopback, which the"
        + " Netty cases need (Netty's resolver ignores -Djdk.net.hosts.file)");
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
