package dev.lanyard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.demo.DemoReport.IdentityRow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The same flow as {@code make demo}: real SPIRE server and SPIRE Agent, every workload a real
 * process (five JVMs with the javaagent, the Python notifier behind the real sidecar) started with
 * the environment the injection core computed from {@code demo-apps/k8s}.
 */
class LocalDemoIT {
  private static final String TD = "spiffe://" + LocalDemo.TRUST_DOMAIN + "/ns/ai-agents/sa/";

  @Test
  void everyStepIsAnsweredByItsOwnSpireIssuedIdentityTheNotifyHopCarriesAJwtSvidAndBothRefusalsShow()
      throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    LocalDemo.Result result =
        LocalDemo.run(new PrintStream(buffer, true, StandardCharsets.UTF_8), DemoPaths.detect());

    String output = buffer.toString(StandardCharsets.UTF_8);
    // Steps: each answered (as verified by the orchestrator's TLS) by its own workload's ID.
    List<String> answeredBy = new ArrayList<>();
    for (JsonNode step : result.assessment().path("steps")) {
      answeredBy.add(step.path("spiffe_id").asText());
      assertThat(step.path("caller_seen").asText()).as(output).isEqualTo(TD + "orchestrator");
    }
    assertThat(answeredBy).as(output).containsExactly(TD + "classifier", TD + "confidence-scorer",
        TD + "validator", TD + "notifier");
    for (JsonNode step : result.assessment().path("steps")) {
      if (step.has("reported_spiffe_id")) {
        assertThat(step.path("reported_spiffe_id").asText()).isEqualTo(step.path("spiffe_id").asText());
        assertThat(step.path("llm").path("spiffe_id").asText()).isEqualTo(TD + "llm-gateway");
        assertThat(step.path("llm").path("caller_seen").asText()).isEqualTo(step.path("spiffe_id").asText());
      }
    }
    // The notify hop also carried a JWT-SVID: the notifier's sidecar verified it (audience
    // notifier) and passed its subject, the orchestrator's ID, to the app.
    JsonNode notify = result.assessment().path("steps").get(3);
    assertThat(notify.path("step").asText()).isEqualTo("notify");
    assertThat(notify.path("jwt_subject").asText()).as(output).isEqualTo(TD + "orchestrator");
    for (int i = 0; i < 3; i++) {
      assertThat(result.assessment().path("steps").get(i).has("jwt_subject")).isFalse();
    }
    assertThat(result.jwt().sentFor()).isEqualTo("notifier.ai-agents.svc=notifier");
    assertThat(result.jwt().required()).isEqualTo("notifier");
    assertThat(output).contains("notify hop: authenticated by mTLS and by a JWT-SVID for audience"
        + " notifier with subject " + TD + "orchestrator");
    JsonNode verdict = result.assessment().path("verdict");
    assertThat(verdict.path("severity").asText()).isEqualTo("high");
    assertThat(verdict.path("category").asText()).isEqualTo("credential-attack");
    assertThat(verdict.path("ticket").asText()).startsWith("INC-");
    assertThat(result.assessment().path("orchestrator").asText()).isEqualTo(TD + "orchestrator");

    // Identity table: one row per Lanyard process, each holding the ID registered for its pod,
    // issued by the real SPIRE server (its CA is the bundle the admin endpoint reports).
    assertThat(result.identities()).extracting(IdentityRow::workload).containsExactlyInAnyOrder(
        "orchestrator", "classifier", "confidence-scorer", "validator", "llm-gateway", "notifier");
    for (IdentityRow row : result.identities()) {
      assertThat(row.spiffeId()).isEqualTo(result.registered().get(row.workload()));
      assertThat(row.identity().path("ready").asBoolean()).isTrue();
      assertThat(row.identity().path("trust_domains").get(0).path("trust_domain").asText())
          .isEqualTo(LocalDemo.TRUST_DOMAIN);
      assertThat(output).contains(row.spiffeId());
    }
    assertThat(result.identities()).filteredOn(r -> r.workload().equals("notifier"))
        .extracting(IdentityRow::lanyard).containsExactly("sidecar");
    assertThat(result.identities()).filteredOn(r -> r.workload().equals("llm-gateway"))
        .first().satisfies(row -> assertThat(row.identity().path("policy").path("allowed_peers"))
            .hasSize(3));

    // The refusal: made by the gateway's javaagent in the handshake, naming the orchestrator.
    assertThat(result.refusedStatus()).isEqualTo(502);
    assertThat(result.refusedAnswer().path("error").asText()).contains("llm-gateway.ai-agents.svc");
    JsonNode refusal = new com.fasterxml.jackson.databind.ObjectMapper().readTree(result.refusalLine());
    assertThat(refusal.path("action").asText()).isEqualTo("tls.accept");
    assertThat(refusal.path("spiffe_id").asText()).isEqualTo(TD + "llm-gateway");
    assertThat(refusal.path("peer_spiffe_id").asText()).isEqualTo(TD + "orchestrator");
    assertThat(refusal.path("result").asText()).isEqualTo("denied");
    assertThat(refusal.path("reason").asText()).contains(TD + "orchestrator").contains("allowed-peers");
    assertThat(result.refusalAudit().path("peer_spiffe_id").asText()).isEqualTo(TD + "orchestrator");
    assertThat(result.refusalAudit().path("result").asText()).isEqualTo("denied");
    assertThat(output).contains(result.refusalLine()).contains("Demo passed");

    // Without a JWT-SVID (a host the orchestrator's jwt-audiences glob does not name) the
    // notifier's sidecar answers 401 and writes one jwt.accept refusal.
    assertThat(result.jwt().refusedStatus()).isEqualTo(502);
    assertThat(result.jwt().refusedAnswer().path("error").asText())
        .contains("notifier.ai-agents.svc.cluster.local").contains("answered 401")
        .contains("missing_token");
    JsonNode jwtRefusal = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(result.jwt().refusalLine());
    assertThat(jwtRefusal.path("action").asText()).isEqualTo("jwt.accept");
    assertThat(jwtRefusal.path("spiffe_id").asText()).isEqualTo(TD + "notifier");
    assertThat(jwtRefusal.path("audience").asText()).isEqualTo("notifier");
    assertThat(jwtRefusal.path("result").asText()).isEqualTo("denied");
    assertThat(jwtRefusal.path("rule").asText()).isEqualTo("missing_token");
    assertThat(result.jwt().refusalAudit().path("rule").asText()).isEqualTo("missing_token");
    assertThat(output).contains(result.jwt().refusalLine());
    assertThat(result.jwt().ticketsFiled()).as("the refused request never reached the app").isEqualTo(1);
    assertThat(result.registered()).containsEntry("notifier", TD + "notifier").hasSize(6);
    assertThat(Map.copyOf(result.registered()).values()).doesNotHaveDuplicates();
  }
}
