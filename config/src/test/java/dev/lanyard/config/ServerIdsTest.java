package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServerIdsTest {
  private static final String PAYMENTS = "spiffe://td/ns/prod/sa/payments";

  @Test
  void theFirstMatchingGlobDecidesWithEveryIdListedForIt() {
    ServerIds ids = ServerIds.parse("payments.prod=" + PAYMENTS + ", *.prod=spiffe://td/ns/prod/**,"
        + " payments.prod=spiffe://td/ns/prod/sa/canary");

    ServerIds.Statement payments = ids.forHost("PAYMENTS.prod.").orElseThrow();
    assertThat(payments.glob()).isEqualTo("payments.prod");
    assertThat(payments.patterns()).extracting(SpiffeIdPattern::toString)
        .containsExactly(PAYMENTS, "spiffe://td/ns/prod/sa/canary");
    assertThat(payments.allowing(PAYMENTS)).isPresent();
    // The broader glob written later does not widen the specific statement.
    assertThat(payments.allowing("spiffe://td/ns/prod/sa/other")).isEmpty();
    assertThat(ids.forHost("orders.prod").orElseThrow().allowing(
        "spiffe://td/ns/prod/sa/other")).isPresent();
    assertThat(ids.forHost("orders")).isEmpty();
    assertThat(ids.forHost(null)).isEmpty();
  }

  @Test
  void emptyIsNone() {
    assertThat(ServerIds.parse(" , ").isEmpty()).isTrue();
  }

  @Test
  void errorsNameTheEntryTheRuleAndAnExample() {
    assertThatThrownBy(() -> ServerIds.parse("orders"))
        .hasMessage("entry \"orders\" is not host-glob=spiffe-id-pattern; write e.g."
            + " payments.prod.svc=spiffe://example.org/ns/prod/sa/payments");
    assertThatThrownBy(() -> ServerIds.parse("orders="))
        .hasMessageContaining("is not host-glob=spiffe-id-pattern");
    assertThatThrownBy(() -> ServerIds.parse("bad host=" + PAYMENTS))
        .hasMessageStartingWith("host glob \"bad host\" in entry \"bad host=" + PAYMENTS
            + "\" is not a host name glob");
    assertThatThrownBy(() -> ServerIds.parse("orders=spiffe://*/x"))
        .hasMessageStartingWith("server ID \"spiffe://*/x\" in LANYARD_SERVER_IDS is not a SPIFFE"
            + " ID pattern");
  }
}
