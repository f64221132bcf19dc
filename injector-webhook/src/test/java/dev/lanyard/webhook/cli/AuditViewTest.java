package dev.lanyard.webhook.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class AuditViewTest {
  private static final String STATUS =
      "{\"version\":\"0.1.0\",\"containers\":{\"ui\":\"sidecar\",\"api\":\"javaagent\"},"
          + "\"adminPorts\":{\"lanyard-sidecar\":15000,\"api\":15002}}";
  private static final String SIDECAR_AUDIT =
      """
      {"timestamp":"2025-01-01T00:10:00Z","action":"tls.connect","spiffe_id":"spiffe://td/ui","peer_spiffe_id":"spiffe://td/api","result":"allowed","reason":"matched"}
      {"timestamp":"2025-01-01T00:40:00Z","action":"tls.connect","spiffe_id":"spiffe://td/ui","peer_spiffe_id":null,"resource":"10.0.0.9:443","result":"denied","reason":"no SPIFFE ID in the server certificate"}
      """;
  private static final String AGENT_AUDIT =
      """
      {"timestamp":"2025-01-01T00:20:00Z","action":"tls.accept","spiffe_id":"spiffe://td/api","peer_spiffe_id":"spiffe://evil.org/x","result":"denied","reason":"trust domain evil.org is not trusted"}
      {"timestamp":"2025-01-01T00:50:00Z","action":"tls.accept","spiffe_id":"spiffe://td/api","peer_spiffe_id":"spiffe://td/batch","result":"would_deny","reason":"not in allowed peers"}
      """;

  private final List<String> asked = new ArrayList<>();
  private final AdminEndpoint admin =
      (namespace, pod, port, path) -> {
        asked.add(pod + ":" + port + path);
        return port == 15000 ? SIDECAR_AUDIT : AGENT_AUDIT;
      };

  private List<AuditEntry> collect(AdminEndpoint endpoint, StringWriter err, String phase) {
    List<AuditEntry> entries = new ArrayList<>();
    boolean complete =
        AuditCommand.collect(
            AdminTarget.of(List.of(IdentitiesCommandTest.pod("shop-0", STATUS, phase))),
            endpoint,
            20,
            entries,
            new PrintWriter(err, true));
    assertThat(complete).isEqualTo(err.toString().isEmpty());
    return entries;
  }

  @Test
  void recordsOfEveryProcessMergeOldestFirst() {
    List<AuditEntry> all = AuditView.select(collect(admin, new StringWriter(), "Running"), false, null);

    assertThat(asked).containsExactly("shop-0:15000/audit?limit=20", "shop-0:15002/audit?limit=20");
    assertThat(all)
        .extracting(e -> e.record().path("timestamp").asText())
        .containsExactly(
            "2025-01-01T00:10:00Z",
            "2025-01-01T00:20:00Z",
            "2025-01-01T00:40:00Z",
            "2025-01-01T00:50:00Z");
  }

  @Test
  void deniedKeepsOnlyRefusalsAndSinceOnlyRecentOnes() {
    List<AuditEntry> entries = collect(admin, new StringWriter(), "Running");

    assertThat(AuditView.select(entries, true, null))
        .extracting(AuditEntry::peer)
        .containsExactly("spiffe://evil.org/x", "10.0.0.9:443");
    assertThat(AuditView.select(entries, false, Instant.parse("2025-01-01T00:40:00Z")))
        .extracting(AuditEntry::result)
        .containsExactly("denied", "would_deny");
    assertThat(AuditView.select(entries, true, Instant.parse("2025-01-01T00:30:00Z")))
        .extracting(AuditEntry::peer)
        .containsExactly("10.0.0.9:443");
  }

  @Test
  void theTableNamesPodContainerPeerAndReason() {
    String table =
        AuditView.table(
            AuditView.select(collect(admin, new StringWriter(), "Running"), true, null), false);

    List<String> lines = table.lines().toList();
    assertThat(lines.get(0)).matches("TIME +POD +CONTAINER +RESULT +ACTION +PEER +REASON");
    assertThat(lines.get(1))
        .matches(
            "2025-01-01T00:20:00Z +shop-0 +api +denied +tls.accept +spiffe://evil.org/x +trust"
                + " domain evil.org is not trusted");
    assertThat(lines.get(2))
        .matches(
            "2025-01-01T00:40:00Z +shop-0 +lanyard-sidecar +denied +tls.connect +10.0.0.9:443"
                + " +no SPIFFE ID in the server certificate");
    assertThat(AuditView.table(List.of(), true).strip())
        .matches("NAMESPACE +TIME +POD +CONTAINER +RESULT +ACTION +PEER +REASON");
  }

  @Test
  void jsonIsTheRecordsWithTheirPodAndContainer() throws IOException {
    JsonNode json =
        new ObjectMapper()
            .readTree(
                AuditView.json(
                    AuditView.select(collect(admin, new StringWriter(), "Running"), true, null)));

    assertThat(json).hasSize(2);
    assertThat(json.path(0).path("namespace").asText()).isEqualTo("agents");
    assertThat(json.path(0).path("pod").asText()).isEqualTo("shop-0");
    assertThat(json.path(0).path("container").asText()).isEqualTo("api");
    assertThat(json.path(0).path("reason").asText()).isEqualTo("trust domain evil.org is not trusted");
    assertThat(json.path(1).path("resource").asText()).isEqualTo("10.0.0.9:443");
  }

  @Test
  void aProcessThatCannotBeReadIsNamedAndTheRestStillShow() {
    StringWriter err = new StringWriter();
    AdminEndpoint half =
        (namespace, pod, port, path) -> {
          if (port == 15002) {
            throw new IOException("GET /audit answered 404: not found");
          }
          return SIDECAR_AUDIT;
        };

    List<AuditEntry> entries = collect(half, err, "Running");

    assertThat(entries).hasSize(2);
    assertThat(err.toString().strip())
        .isEqualTo(
            "lanyard audit: pod/shop-0 container api: admin port 15002: GET /audit answered 404:"
                + " not found");
  }

  @Test
  void aPodThatDoesNotRunIsNotAsked() {
    StringWriter err = new StringWriter();

    assertThat(collect(admin, err, "Pending")).isEmpty();
    assertThat(asked).isEmpty();
    assertThat(err.toString()).contains("pod/shop-0 container api: pod is Pending, not asked");
  }

  @Test
  void sinceTakesKubectlDurations() {
    DurationConverter since = new DurationConverter();

    assertThat(since.convert("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(since.convert("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThatThrownBy(() -> since.convert("15 minutes"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessage("\"15 minutes\" is not a duration; write e.g. 90s, 15m, 2h or 1h30m");
    assertThatThrownBy(() -> since.convert("0m"))
        .hasMessage("0m is zero; give a positive duration");
  }
}
