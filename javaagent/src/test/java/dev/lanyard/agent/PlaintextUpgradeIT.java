package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Plain-HTTP servers, unchanged (the compat apps with {@code --tls plain}), get mTLS in the JVM
 * from {@code LANYARD_UPGRADE_INBOUND}: a mesh client with an SVID is served over mTLS (a relay
 * in the middle sees only TLS records) and each side sees the other's SPIFFE ID (the client in
 * the server certificate, the server in its {@code tls.accept} audit record); on a permissive
 * port an un-injected plaintext client is still served and counted, on a strict one it is
 * refused with the reason; a peer outside the allowed peers is refused by SPIFFE ID; and a
 * non-Java client (Python's {@code ssl}) holding an SVID is served.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlaintextUpgradeIT {
  private static final Path SVID_CLIENT =
      Path.of("src/test/resources/python/svid_client.py").toAbsolutePath();

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private Workload server;
  private Workload client;
  private Workload python;
  private Workload stranger;

  @BeforeAll
  void register() {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5901, "/ns/shop/sa/orders");
    client = Workload.register(cluster, 5902, "/ns/shop/sa/frontend");
    python = Workload.register(cluster, 5903, "/ns/shop/sa/notifier");
    stranger = Workload.register(cluster, 5904, "/ns/other/sa/stranger");
    for (Workload workload : List.of(server, client, python, stranger)) {
      workload.awaitSvid(cluster);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"JdkHttpsServerApp", "TomcatServerApp", "JettyServerApp",
      "NettyServerApp", "UndertowServerApp"})
  void aPermissivePortServesMeshClientsOverMtlsAndCountsPlaintextClients(String app)
      throws Exception {
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, app, "permissive");
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port())) {
      ClientRun mtls = Mesh.client(spire.cluster(), client, "JdkHttpClientApp",
          "https://localhost:" + wire.port() + "/hello", 3, Map.of());

      assertThat(mtls.output()).as(mtls + "\nserver:\n" + upgraded.process().output())
          .contains("OK status=200 server_peer=" + server.spiffeId() + " body=peer=none");
      assertThat(wire.violations()).as("bytes on the wire that were not TLS records").isEmpty();
      assertThat(wire.records()).as("TLS records relayed").isGreaterThanOrEqualTo(6);
      assertThat(accepted(upgraded, "tls.accept", "allowed"))
          .as("the server's tls.accept records:\n" + upgraded.process().output())
          .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
              .isEqualTo(client.spiffeId()));

      ClientRun plain = Mesh.client(spire.cluster(), null, "JdkHttpClientApp",
          "http://localhost:" + upgraded.port() + "/hello", 2, Map.of(), "--tls", "plain");

      assertThat(plain.output()).as(plain.toString())
          .contains("OK status=200 server_peer=none body=peer=none");
      assertThat(upgraded.metrics()).containsPattern(Pattern.compile(
          "lanyard_plaintext_connections_total\\{port=\"" + upgraded.port()
              + "\",result=\"allowed\",source=\"127.0.0.1\"} [1-9]"));
      assertThat(accepted(upgraded, "plaintext.accept", "allowed"))
          .as("plaintext.accept records at LANYARD_AUDIT=all:\n" + upgraded.process().output())
          .isNotEmpty()
          .allSatisfy(record -> assertThat(record.path("rule").asText())
              .isEqualTo("plaintext_permissive"));
    }
  }

  @Test
  void aStrictPortRefusesPlaintextWithTheReasonAndStillServesMtls() throws Exception {
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "TomcatServerApp", "strict");
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port())) {
      ClientRun plain = Mesh.client(spire.cluster(), null, "JdkHttpClientApp",
          "http://localhost:" + upgraded.port() + "/hello", 1, Map.of(), "--tls", "plain");

      assertThat(plain.output()).as(plain.toString())
          .contains("status=403")
          .contains("refused: the port is strict (LANYARD_UPGRADE_INBOUND), only mTLS with an"
              + " X.509-SVID is served")
          .doesNotContain("body=peer=none");
      JsonNode refusal = AuditRecords.assertOneRefusal(upgraded.process().output(),
          "plaintext.accept", null);
      assertThat(refusal.path("rule").asText()).isEqualTo("plaintext_strict");
      assertThat(refusal.path("resource").asText()).startsWith("127.0.0.1:");
      assertThat(upgraded.process().output()).contains("lanyard: WARN plaintext connection from"
          + " 127.0.0.1 to port " + upgraded.port() + " refused: the port is strict");
      assertThat(upgraded.metrics()).containsPattern(Pattern.compile(
          "lanyard_plaintext_connections_total\\{port=\"" + upgraded.port()
              + "\",result=\"denied\",source=\"127.0.0.1\"} 1"));

      ClientRun mtls = Mesh.client(spire.cluster(), client, "JdkHttpClientApp",
          "https://localhost:" + wire.port() + "/hello", 2, Map.of());
      assertThat(mtls.output()).as(mtls + "\nserver:\n" + upgraded.process().output())
          .contains("OK status=200 server_peer=" + server.spiffeId() + " body=peer=none");
      assertThat(wire.violations()).isEmpty();

      ClientRun plainThroughRelay = Mesh.client(spire.cluster(), null, "JdkHttpClientApp",
          "http://localhost:" + wire.port() + "/hello", 1, Map.of(), "--tls", "plain");
      assertThat(wire.violations()).as("the relay tells plaintext from TLS: " + plainThroughRelay)
          .isNotEmpty();
    }
  }

  @Test
  void aMeshPeerOutsideTheAllowedPeersIsRefusedBySpiffeId() throws Exception {
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "JdkHttpsServerApp",
        "strict", "LANYARD_ALLOWED_PEERS", "spiffe://" + spire.cluster().trustDomain()
            + "/ns/shop/*")) {
      ClientRun refused = Mesh.client(spire.cluster(), stranger, "JdkHttpClientApp",
          "https://localhost:" + upgraded.port() + "/hello", 1, Map.of());

      assertThat(refused.output()).as(refused.toString()).doesNotContain("OK status=200");
      // The JDK HttpClient tries a refused GET twice: one record per refused connection.
      List<JsonNode> refusals = accepted(upgraded, "tls.accept", "denied");
      assertThat(refusals).as(upgraded.process().output()).isNotEmpty()
          .allSatisfy(record -> {
            assertThat(record.path("peer_spiffe_id").asText()).isEqualTo(stranger.spiffeId());
            assertThat(record.path("rule").asText()).isEqualTo("allowed_peers");
            assertThat(record.path("reason").asText()).contains(stranger.spiffeId());
            AuditRecords.assertAttestation(record);
          });
      assertThat(refusals.stream().map(record -> record.path("resource").asText()))
          .doesNotHaveDuplicates();
      assertThat(upgraded.process().output()).contains("lanyard: WARN refused inbound TLS"
          + " from peer " + stranger.spiffeId());
    }
  }

  @Test
  void aPythonClientHoldingAnSvidIsServedByTheUpgradedPlainPort(@TempDir Path dir)
      throws Exception {
    ExportedSvid.fetch(spire.cluster(), python.gid(), dir);
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, "JdkHttpsServerApp",
        "strict")) {
      Command.Result run = Command.run(Duration.ofSeconds(30), "python3", SVID_CLIENT.toString(),
          "127.0.0.1", Integer.toString(upgraded.port()), dir.resolve("svid.0.pem").toString(),
          dir.resolve("svid.0.key").toString(), dir.resolve("bundle.0.pem").toString());

      assertThat(run.output()).as(run.output() + "\nserver:\n" + upgraded.process().output())
          .contains("SERVER_ID " + server.spiffeId())
          .contains("RESPONSE HTTP/1.1 200")
          .contains("peer=none");
      assertThat(accepted(upgraded, "tls.accept", "allowed"))
          .anySatisfy(record -> assertThat(record.path("peer_spiffe_id").asText())
              .isEqualTo(python.spiffeId()));
    }
  }

  private static List<JsonNode> accepted(Upgraded upgraded, String action, String result) {
    List<JsonNode> records = new ArrayList<>();
    for (JsonNode record : AuditRecords.in(upgraded.process().output(),
        AuditRecords.action(action))) {
      if (result.equals(record.path("result").asText())) {
        records.add(record);
      }
    }
    return records;
  }

  /** A plain-HTTP compat app under the javaagent with one port upgraded. */
  record Upgraded(JvmProcess process, int port, String admin) implements AutoCloseable {
    static Upgraded start(SpireCluster spire, Workload workload, String app, String mode,
        String... env) {
      int port = FreePorts.next();
      String admin = "127.0.0.1:" + FreePorts.next();
      Map<String, String> settings = new java.util.LinkedHashMap<>(Mesh.env(
          "LANYARD_UPGRADE_INBOUND", port + "=" + mode, "LANYARD_AUDIT", "all",
          "LANYARD_ADMIN_ADDRESS", admin));
      settings.putAll(AuditRecords.DOWNWARD_API);
      settings.putAll(Mesh.env(env));
      JvmProcess process = Mesh.app(app, spire, workload, app, settings,
          "--port", Integer.toString(port), "--tls", "plain").start();
      try {
        process.awaitOutput("LISTENING port=", Duration.ofSeconds(60));
        process.awaitOutput("port " + port + " is served with mTLS by Lanyard \\(" + mode,
            Duration.ofSeconds(10));
        return new Upgraded(process, port, admin);
      } catch (RuntimeException e) {
        process.close();
        throw e;
      }
    }

    String metrics() {
      return Admin.get(admin, "/metrics").body();
    }

    @Override
    public void close() {
      process.close();
    }
  }
}
