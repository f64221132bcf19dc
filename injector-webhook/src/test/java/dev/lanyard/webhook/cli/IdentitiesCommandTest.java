package dev.lanyard.webhook.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentitiesCommandTest {
  private static final String STATUS =
      "{\"version\":\"0.1.0\",\"containers\":{\"ui\":\"sidecar\",\"planner\":\"javaagent\"},"
          + "\"adminPorts\":{\"lanyard-sidecar\":15000,\"planner\":15002}}";
  private static final String IDENTITY =
      """
      {"ready":true,"spiffe_id":"spiffe://example.org/ns/agents/sa/planner","serial":"0a",
       "not_before":"2025-01-01T00:00:00Z","not_after":"2025-01-01T01:00:00Z","rotation_count":3,
       "recent_peers":[{"peer":"spiffe://example.org/ns/agents/sa/gateway","direction":"inbound","allowed":12,"denied":1}],
       "last_denial":{"timestamp":"2025-01-01T00:30:00Z","action":"tls.accept","peer_spiffe_id":"spiffe://evil.org/x","result":"denied","reason":"trust domain evil.org is not trusted"}}
      """;

  private final List<String> asked = new ArrayList<>();

  private final AdminEndpoint admin =
      (namespace, pod, port, path) -> {
        asked.add(pod + ":" + port + path);
        if (port == 15000) {
          throw new IOException("connection refused");
        }
        return IDENTITY;
      };

  @Test
  void oneRowPerLanyardProcessFromTheAdminPortsInTheStatusAnnotation() {
    List<IdentityRow> rows =
        IdentitiesCommand.rows(
            List.of(pod("planner-0", STATUS, "Running"), pod("plain", null, "Running")), admin);

    assertThat(asked).containsExactly("planner-0:15000/identity", "planner-0:15002/identity");
    assertThat(rows).hasSize(2);
    IdentityRow sidecar = rows.get(0);
    assertThat(sidecar.container()).isEqualTo("lanyard-sidecar");
    assertThat(sidecar.runtime()).isEqualTo("sidecar");
    assertThat(sidecar.spiffeId()).isNull();
    assertThat(sidecar.error()).isEqualTo("admin port 15000: connection refused");
    IdentityRow planner = rows.get(1);
    assertThat(planner.namespace()).isEqualTo("agents");
    assertThat(planner.runtime()).isEqualTo("agent");
    assertThat(planner.spiffeId()).isEqualTo("spiffe://example.org/ns/agents/sa/planner");
    assertThat(planner.serial()).isEqualTo("0a");
    assertThat(planner.expires()).isEqualTo("2025-01-01T01:00:00Z");
    assertThat(planner.inbound()).as("no inbound_mode reported: TLS only").isEqualTo("tls");
    assertThat(planner.lastRefusal())
        .isEqualTo("2025-01-01T00:30:00Z spiffe://evil.org/x: trust domain evil.org is not trusted");
    assertThat(planner.rotations()).isEqualTo(3L);
    assertThat(planner.peers())
        .containsExactly("<-spiffe://example.org/ns/agents/sa/gateway (12 ok, 1 denied)");
    assertThat(planner.error()).isNull();
  }

  @Test
  void theInboundModeIsWhatTheEndpointReports() {
    AdminEndpoint plaintext =
        (namespace, pod, port, path) ->
            "{\"spiffe_id\":\"spiffe://td/a\",\"inbound_mode\":\"permissive\"}";

    List<IdentityRow> rows =
        IdentitiesCommand.rows(List.of(pod("p", STATUS, "Running")), plaintext);

    assertThat(rows).extracting(IdentityRow::inbound).containsOnly("permissive");
    assertThat(rows).extracting(IdentityRow::lastRefusal).containsOnlyNulls();
  }

  @Test
  void aProcessWithoutAnSvidSaysWhy() {
    AdminEndpoint waiting =
        (namespace, pod, port, path) ->
            "{\"ready\":false,\"last_error\":\"PERMISSION_DENIED: no identity issued\"}";

    List<IdentityRow> rows = IdentitiesCommand.rows(List.of(pod("p", STATUS, "Running")), waiting);

    assertThat(rows)
        .extracting(IdentityRow::error)
        .containsOnly("no SVID yet: PERMISSION_DENIED: no identity issued");
  }

  @Test
  void podsThatDoNotRunAreListedWithoutAsking() {
    List<IdentityRow> rows =
        IdentitiesCommand.rows(List.of(pod("pending", STATUS, "Pending")), admin);

    assertThat(asked).isEmpty();
    assertThat(rows).extracting(IdentityRow::error).containsOnly("pod is Pending");
  }

  @Test
  void theTableHasTheIssuesColumnsAlignedAndTheNamespaceOnlyWithAllNamespaces() {
    List<IdentityRow> rows = IdentitiesCommand.rows(List.of(pod("planner-0", STATUS, "Running")), admin);

    String table = IdentitiesCommand.render(rows, IdentitiesCommand.Format.TABLE, false);
    String all = IdentitiesCommand.render(rows, IdentitiesCommand.Format.TABLE, true);

    List<String> lines = table.lines().toList();
    assertThat(lines.get(0))
        .matches(
            "POD +CONTAINER +RUNTIME +SPIFFE ID +SERIAL +EXPIRES +INBOUND +LAST REFUSAL");
    int column = lines.get(0).indexOf("SPIFFE ID");
    assertThat(lines.get(1).indexOf("(admin port 15000: connection refused)")).isEqualTo(column);
    assertThat(lines.get(2).indexOf("spiffe://example.org/ns/agents/sa/planner")).isEqualTo(column);
    assertThat(lines.get(2))
        .contains(" agent ")
        .contains(" 0a ")
        .contains(" tls ")
        .endsWith("spiffe://evil.org/x: trust domain evil.org is not trusted");
    assertThat(lines.get(1)).contains(" sidecar ").endsWith("-");
    assertThat(all.lines().findFirst().orElseThrow()).startsWith("NAMESPACE   POD");
    assertThat(all.lines().skip(2).findFirst().orElseThrow()).startsWith("agents      planner-0");
  }

  @Test
  void wideAddsRotationsAndPeers() {
    List<IdentityRow> rows = IdentitiesCommand.rows(List.of(pod("planner-0", STATUS, "Running")), admin);

    List<String> lines =
        IdentitiesCommand.render(rows, IdentitiesCommand.Format.WIDE, false).lines().toList();

    assertThat(lines.get(0)).matches(".* +LAST REFUSAL +ROTATIONS   PEERS");
    assertThat(lines.get(2))
        .matches(".* trust domain evil.org is not trusted +3 {11}"
            + "<-spiffe://example.org/ns/agents/sa/gateway \\(12 ok, 1 denied\\)");
    assertThat(lines.get(0).indexOf("PEERS")).isEqualTo(lines.get(2).indexOf("<-spiffe"));
  }

  @Test
  void jsonAndYamlCarryEveryFieldOfEveryRow() throws IOException {
    List<IdentityRow> rows = IdentitiesCommand.rows(List.of(pod("planner-0", STATUS, "Running")), admin);

    JsonNode json =
        new ObjectMapper()
            .readTree(IdentitiesCommand.render(rows, IdentitiesCommand.Format.JSON, false));
    JsonNode yaml =
        new ObjectMapper(new YAMLFactory())
            .readTree(IdentitiesCommand.render(rows, IdentitiesCommand.Format.YAML, false));

    assertThat(yaml).isEqualTo(json);
    JsonNode planner = json.path("identities").path(1);
    assertThat(planner.path("namespace").asText()).isEqualTo("agents");
    assertThat(planner.path("pod").asText()).isEqualTo("planner-0");
    assertThat(planner.path("container").asText()).isEqualTo("planner");
    assertThat(planner.path("runtime").asText()).isEqualTo("agent");
    assertThat(planner.path("spiffe_id").asText())
        .isEqualTo("spiffe://example.org/ns/agents/sa/planner");
    assertThat(planner.path("serial").asText()).isEqualTo("0a");
    assertThat(planner.path("expires").asText()).isEqualTo("2025-01-01T01:00:00Z");
    assertThat(planner.path("inbound_mode").asText()).isEqualTo("tls");
    assertThat(planner.path("last_refusal").asText()).contains("spiffe://evil.org/x");
    assertThat(planner.path("rotations").asLong()).isEqualTo(3);
    assertThat(planner.path("recent_peers")).hasSize(1);
    assertThat(planner.path("error").isNull()).isTrue();
    JsonNode sidecar = json.path("identities").path(0);
    assertThat(sidecar.path("spiffe_id").isNull()).isTrue();
    assertThat(sidecar.path("error").asText()).isEqualTo("admin port 15000: connection refused");
  }

  static Pod pod(String name, String status, String phase) {
    PodBuilder builder =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("agents")
            .endMetadata()
            .withNewStatus()
            .withPhase(phase)
            .endStatus();
    if (status != null) {
      builder.editMetadata().addToAnnotations("lanyard.dev/status", status).endMetadata();
    }
    return builder.build();
  }
}
