package dev.lanyard.webhook.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
       "recent_peers":[{"peer":"spiffe://example.org/ns/agents/sa/gateway","direction":"inbound","allowed":12,"denied":1}]}
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
    assertThat(rows.get(0).container()).isEqualTo("lanyard-sidecar");
    assertThat(rows.get(0).spiffeId()).isEqualTo("(admin port 15000: connection refused)");
    IdentityRow planner = rows.get(1);
    assertThat(planner.spiffeId()).isEqualTo("spiffe://example.org/ns/agents/sa/planner");
    assertThat(planner.expires()).isEqualTo("2025-01-01T01:00:00Z");
    assertThat(planner.rotations()).isEqualTo("3");
    assertThat(planner.peers())
        .isEqualTo("<-spiffe://example.org/ns/agents/sa/gateway (12 ok, 1 denied)");
  }

  @Test
  void podsThatDoNotRunAreListedWithoutAsking() {
    List<IdentityRow> rows =
        IdentitiesCommand.rows(List.of(pod("pending", STATUS, "Pending")), admin);

    assertThat(asked).isEmpty();
    assertThat(rows).extracting(IdentityRow::spiffeId).containsOnly("(pod is Pending)");
  }

  @Test
  void theTableIsAligned() {
    String table =
        IdentityTable.format(
            List.of(
                new IdentityRow("a", "lanyard-sidecar", "spiffe://td/x", "2025", "1", "-"),
                new IdentityRow(
                    "long-pod-name",
                    "c",
                    "spiffe://td/longer/id",
                    "2026",
                    "10",
                    "->spiffe://td/y (1 ok)")));

    List<String> lines = table.lines().toList();
    assertThat(lines.get(0)).startsWith("POD             CONTAINER         SPIFFE ID");
    int column = lines.get(0).indexOf("SPIFFE ID");
    assertThat(lines.get(1).indexOf("spiffe://td/x")).isEqualTo(column);
    assertThat(lines.get(2).indexOf("spiffe://td/longer/id")).isEqualTo(column);
  }

  private static Pod pod(String name, String status, String phase) {
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
