package dev.lanyard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class DemoReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theJwtLineNamesTheAudienceAndTheSubjectOfTheStepThatHadOne() throws Exception {
    JsonNode assessment = JSON.readTree("""
        {"steps": [
          {"step": "classify", "caller_seen": "spiffe://td/ns/a/sa/orchestrator"},
          {"step": "notify", "caller_seen": "spiffe://td/ns/a/sa/orchestrator",
           "jwt_subject": "spiffe://td/ns/a/sa/orchestrator"}]}
        """);

    assertThat(DemoReport.jwtHop(assessment, "notifier.a.svc=notifier", "notifier"))
        .first().isEqualTo("notify hop: authenticated by mTLS and by a JWT-SVID for audience"
            + " notifier with subject spiffe://td/ns/a/sa/orchestrator");
    assertThat(String.join("\n", DemoReport.jwtHop(assessment, "notifier.a.svc=notifier", "notifier")))
        .contains("LANYARD_JWT_AUDIENCES=notifier.a.svc=notifier")
        .contains("LANYARD_INBOUND_JWT_AUDIENCE=notifier");
  }

  @Test
  void noJwtSubjectNoJwtLine() throws Exception {
    JsonNode assessment = JSON.readTree("""
        {"steps": [{"step": "notify", "jwt_subject": null}, {"step": "classify"}]}
        """);

    assertThat(DemoReport.jwtHop(assessment, "x=y", "y")).isEmpty();
  }
}
