package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The caller learns why (issue 20): a server that refuses our SVID sends only a TLS alert, and the
 * refused JVM client's exception, its one log line and its one audit record name the server, the
 * alert and the likely cause, for the JDK HttpClient against a Jetty server whose allowed peers
 * leave the client out; a client that is not refused, or that refuses the server itself, keeps
 * the messages it had.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefusedCallerIT {
  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private Workload server;
  private Workload client;
  private Workload stranger;

  @BeforeAll
  void register() {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5121, "/ns/mesh/sa/server");
    client = Workload.register(cluster, 5122, "/ns/mesh/sa/client");
    stranger = Workload.register(cluster, 5123, "/ns/other/sa/stranger");
    for (Workload workload : List.of(server, client, stranger)) {
      workload.awaitSvid(cluster);
    }
  }

  @Test
  void aRefusedJvmClientsExceptionLogLineAndAuditRecordNameTheRefusal() {
    try (Server jetty = Mesh.server(spire.cluster(), server, "JettyServerApp",
        Mesh.env("LANYARD_ALLOWED_PEERS", client.spiffeId()))) {
      // HttpsURLConnection writes its request right after a TLS 1.3 handshake and, when the
      // server's reset arrives before it reads, fails with "Broken pipe" without ever reading the
      // alert (docs/AUDIT.md): nothing to reword then. The JDK HttpClient reads the alert.
      for (String app : List.of("JdkHttpClientApp")) {
        ClientRun refused = Mesh.client(spire.cluster(), stranger, app, jetty.httpsUrl(), 1,
            attested(Map.of()));

        assertThat(refused.exit()).as(refused.toString()).isNotZero();
        String expected = "localhost:" + jetty.port() + " (" + server.spiffeId()
            + ") refused our X.509-SVID " + stranger.spiffeId() + " with TLS alert ";
        String failure = line(refused.output(), "FAIL ");
        assertThat(failure).as(app + " exception").contains("lanyard: " + expected)
            .contains("likely " + stranger.spiffeId() + " is not in the peer's allowed peers")
            .contains("Received fatal alert: ");
        assertThat(line(refused.output(), "lanyard: WARN ")).as(app + " log line")
            .contains(expected).contains("LANYARD_ALLOWED_PEERS");
        List<JsonNode> records = AuditRecords.in(refused.output(),
            AuditRecords.action("tls.refused_by_peer"));
        assertThat(records).as(refused.toString()).isNotEmpty();
        for (JsonNode record : records) {
          assertThat(record.path("rule").asText()).isEqualTo("peer_refused_not_allowed");
          assertThat(record.path("result").asText()).isEqualTo("denied");
          assertThat(record.path("spiffe_id").asText()).isEqualTo(stranger.spiffeId());
          assertThat(record.path("peer_spiffe_id").asText()).isEqualTo(server.spiffeId());
          assertThat(record.path("resource").asText()).isEqualTo("localhost:" + jetty.port());
          assertThat(record.path("matched").asText()).isIn("certificate_unknown",
              "bad_certificate", "access_denied");
          AuditRecords.assertAttestation(record);
        }
        assertThat(records).as("one record per refused connection, each with its own WARN line")
            .hasSize((int) refused.output().lines()
                .filter(l -> l.startsWith("lanyard: WARN ") && l.contains(expected)).count());
      }
    }
  }

  @Test
  void anAllowedClientAndOurOwnRefusalsAreNotReworded() {
    try (Server jetty = Mesh.server(spire.cluster(), server, "JettyServerApp",
        Mesh.env("LANYARD_ALLOWED_PEERS", client.spiffeId()))) {
      ClientRun allowed = Mesh.client(spire.cluster(), client, "JdkHttpClientApp",
          jetty.httpsUrl(), 1, Map.of());
      ClientRun refusing = Mesh.client(spire.cluster(), client, "JdkHttpClientApp",
          jetty.httpsUrl(), 1, Mesh.env("LANYARD_ALLOWED_PEERS", stranger.spiffeId()));

      assertThat(allowed.output()).as(allowed.toString()).contains("SUMMARY ok=1 failed=0")
          .doesNotContain("tls.refused_by_peer");
      assertThat(refusing.output()).as(refusing.toString())
          .contains("lanyard: refused outbound TLS to peer " + server.spiffeId())
          .doesNotContain("refused our X.509-SVID");
    }
  }

  private static String line(String output, String prefix) {
    return output.lines().filter(l -> l.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no line starting with " + prefix + " in:\n" + output));
  }

  private static Map<String, String> attested(Map<String, String> env) {
    Map<String, String> all = new java.util.LinkedHashMap<>(env);
    all.putAll(AuditRecords.DOWNWARD_API);
    return all;
  }
}
