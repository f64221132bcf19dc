package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The webhook's judgement of a value is the workload's parser's, word for word. */
class WorkloadValuesTest {

  @Test
  void theAuditKeywordAndValidPatternsPass() {
    assertThat(WorkloadValues.problem(ConfigKeys.ALLOWED_PEERS, "audit,spiffe://td/ns/a/*")).isEmpty();
    assertThat(WorkloadValues.problem(ConfigKeys.ALLOWED_PEERS, "AUDIT")).isEmpty();
    assertThat(WorkloadValues.problem(ConfigKeys.STARTUP, "wait=2m,then=degrade")).isEmpty();
    assertThat(WorkloadValues.problem(ConfigKeys.INBOUND, "8443:8080,15432:5432/tcp")).isEmpty();
    assertThat(WorkloadValues.problem(ConfigKeys.ALLOWED_PEERS, "  ")).isEmpty();
  }

  @Test
  void aRefusedValueGetsTheParsersMessage() {
    assertThat(WorkloadValues.problem(ConfigKeys.ALLOWED_PEERS, "spiffe://td/a*b"))
        .contains(messageOf(() -> AllowedPeers.parse("spiffe://td/a*b")))
        .hasValueSatisfying(message -> assertThat(message)
            .startsWith("allowed peer \"spiffe://td/a*b\" in LANYARD_ALLOWED_PEERS"));
    assertThat(WorkloadValues.problem(ConfigKeys.AUDIT, "loud"))
        .contains(messageOf(() -> AuditMode.parse("loud")));
    assertThat(WorkloadValues.problem(ConfigKeys.INBOUND, "8443"))
        .contains(messageOf(() -> InboundPorts.parse("8443")));
  }

  @Test
  void theUpgradeAnnotationsAreJudgedByUpgradeModes() {
    assertThat(WorkloadValues.problem(ConfigKeys.UPGRADE_INBOUND, "8080=strict,9090=off"))
        .isEmpty();
    assertThat(WorkloadValues.problem(ConfigKeys.UPGRADE_OUTBOUND, "permissive")).isEmpty();
    assertThat(WorkloadValues.problem(ConfigKeys.UPGRADE_INBOUND, "8080=stric"))
        .contains("entry \"8080=stric\": mode \"stric\" is not one of off, permissive, strict;"
            + " write e.g. 8080=strict,*=permissive");
    assertThat(WorkloadValues.problem(ConfigKeys.UPGRADE_OUTBOUND, "http=strict"))
        .contains(messageOf(() -> UpgradeModes.parse("http=strict")));
  }

  @Test
  void keysTheWebhookDoesNotSetAreNotJudged() {
    assertThat(WorkloadValues.problem(ConfigKeys.LOG, "loud")).isEmpty();
  }

  private static String messageOf(Runnable parse) {
    try {
      parse.run();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    throw new AssertionError("parsed");
  }
}
