package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PeerCeilingTest {
  private static final PeerCeiling CEILING =
      PeerCeiling.of(
          new InjectorConfig.Ceiling(
              "spiffe://td/ns/prod/**, spiffe://td/ns/platform/sa/gateway", false, List.of("lab")));

  @Test
  void narrowerPatternsStayWithin() {
    assertThat(
            CEILING.violation(
                "spiffe://td/ns/prod/sa/api,spiffe://td/ns/prod/*,spiffe://td/ns/platform/sa/gateway",
                "annotation lanyard.dev/allowed-peers",
                "prod"))
        .isEmpty();
  }

  @Test
  void aWiderPatternIsAViolationNamingItAndTheCeiling() {
    assertThat(
            CEILING.violation(
                "spiffe://td/ns/prod/sa/api, spiffe://td/**",
                "annotation lanyard.dev/allowed-peers",
                "prod"))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("annotation lanyard.dev/allowed-peers entry \"spiffe://td/**\"")
                    .contains(
                        "the operator's ceiling [spiffe://td/ns/prod/**,"
                            + " spiffe://td/ns/platform/sa/gateway] (injector.ceiling.allowedPeers)")
                    .contains("pods may narrow the ceiling, never widen it"));
  }

  @Test
  void aMalformedPatternCannotBeWithin() {
    assertThat(CEILING.violation("orders", "env", "prod"))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("allowed peer \"orders\" in LANYARD_ALLOWED_PEERS is not a SPIFFE ID pattern")
                    .contains("so it cannot be within the operator's ceiling"));
  }

  @Test
  void auditOnlyWhereTheOperatorEnabledIt() {
    assertThat(CEILING.violation("audit,spiffe://td/ns/prod/*", "annotation x", "lab")).isEmpty();
    assertThat(CEILING.violation("spiffe://td/ns/prod/*, AUDIT", "annotation x", "prod"))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("annotation x has \"audit\"")
                    .contains("not enabled in namespace prod")
                    .contains("injector.ceiling.auditNamespaces is [lab]"));
    PeerCeiling everywhere = PeerCeiling.of(new InjectorConfig.Ceiling("", true, List.of()));
    assertThat(everywhere.violation("audit", "annotation x", "prod")).isEmpty();
  }

  @Test
  void withoutPatternsOnlyAuditIsJudged() {
    PeerCeiling open = PeerCeiling.of(new InjectorConfig.Ceiling("", false, List.of()));

    assertThat(open.limitsPatterns()).isFalse();
    assertThat(open.violation("spiffe://other/**", "annotation x", "prod")).isEmpty();
    assertThat(open.violation("audit", "annotation x", "prod")).isPresent();
    assertThat(open.summary()).isEqualTo("peers not limited, audit mode nowhere");
  }

  @Test
  void aCeilingListsPatternsOnly() {
    assertThatThrownBy(() -> PeerCeiling.of(new InjectorConfig.Ceiling("audit", false, List.of())))
        .hasMessageContaining("\"audit\" is not a SPIFFE ID pattern");
    assertThatThrownBy(
            () -> PeerCeiling.of(new InjectorConfig.Ceiling("spiffe://td/ns/*/x", false, List.of())))
        .hasMessageContaining("a wildcard may only be the whole last segment");
  }
}
