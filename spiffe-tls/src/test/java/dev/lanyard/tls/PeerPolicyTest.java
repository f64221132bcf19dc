package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiffe.spiffeid.SpiffeId;
import org.junit.jupiter.api.Test;

class PeerPolicyTest {
  private static final SpiffeId LOCAL = SpiffeId.parse("spiffe://prod.example/ns/shop/sa/web");

  @Test
  void unsetAllowsOnlyTheLocalTrustDomain() {
    PeerPolicy policy = PeerPolicy.parse("");

    PeerDecision same = policy.authorize(LOCAL, id("spiffe://prod.example/ns/any/sa/thing"),
        Direction.OUTBOUND);
    PeerDecision other = policy.authorize(LOCAL, id("spiffe://evil.example/ns/shop/sa/web"),
        Direction.INBOUND);

    assertThat(same.allowed()).isTrue();
    assertThat(same.rule()).isEqualTo("same_trust_domain");
    assertThat(same.reason()).isEqualTo("peer spiffe://prod.example/ns/any/sa/thing is in the"
        + " local trust domain prod.example (LANYARD_ALLOWED_PEERS is unset: same trust domain only)");
    assertThat(other.allowed()).isFalse();
    assertThat(other.outcome()).isEqualTo(PeerDecision.Outcome.DENIED);
    assertThat(other.reason())
        .contains("peer spiffe://evil.example/ns/shop/sa/web is outside the local trust domain prod.example")
        .contains("list it in LANYARD_ALLOWED_PEERS");
  }

  @Test
  void patternsAllowOnlyWhatTheyMatchAndNameTheMatchingPattern() {
    PeerPolicy policy = PeerPolicy.parse(
        "spiffe://prod.example/ns/pay/sa/api, spiffe://prod.example/ns/ml/*,spiffe://partner.example/**");

    PeerDecision exact = policy.authorize(LOCAL, id("spiffe://prod.example/ns/pay/sa/api"),
        Direction.OUTBOUND);
    PeerDecision oneSegment = policy.authorize(LOCAL, id("spiffe://prod.example/ns/ml/worker"),
        Direction.OUTBOUND);
    PeerDecision federated = policy.authorize(LOCAL, id("spiffe://partner.example/x/y/z"),
        Direction.INBOUND);
    PeerDecision sameDomainButUnlisted = policy.authorize(LOCAL,
        id("spiffe://prod.example/ns/shop/sa/other"), Direction.INBOUND);

    assertThat(exact.allowed()).isTrue();
    assertThat(exact.rule()).isEqualTo("allowed_peers");
    assertThat(exact.matched()).contains("spiffe://prod.example/ns/pay/sa/api");
    assertThat(oneSegment.reason()).isEqualTo("peer spiffe://prod.example/ns/ml/worker matches"
        + " LANYARD_ALLOWED_PEERS pattern spiffe://prod.example/ns/ml/*");
    assertThat(federated.allowed()).isTrue();
    assertThat(sameDomainButUnlisted.allowed()).isFalse();
    assertThat(sameDomainButUnlisted.reason()).isEqualTo("peer spiffe://prod.example/ns/shop/sa/other"
        + " matches none of LANYARD_ALLOWED_PEERS [spiffe://prod.example/ns/pay/sa/api,"
        + " spiffe://prod.example/ns/ml/*, spiffe://partner.example/**]; add it there (pod"
        + " annotation lanyard.dev/allowed-peers) to allow it");
  }

  @Test
  void decisionsCarryBothIdsAndTheDirection() {
    PeerDecision decision = PeerPolicy.SAME_TRUST_DOMAIN.authorize(LOCAL,
        id("spiffe://prod.example/ns/a/sa/b"), Direction.INBOUND);

    assertThat(decision.localSpiffeId()).contains(LOCAL.toString());
    assertThat(decision.peerSpiffeId()).contains("spiffe://prod.example/ns/a/sa/b");
    assertThat(decision.direction()).isEqualTo(Direction.INBOUND);
  }

  @Test
  void auditModeAllowsWhatItWouldDenyAndSaysSo() {
    PeerPolicy policy = PeerPolicy.parse("audit,spiffe://prod.example/ns/pay/*");

    PeerDecision decision = policy.authorize(LOCAL, id("spiffe://prod.example/ns/other/sa/x"),
        Direction.OUTBOUND);
    PeerDecision matching = policy.authorize(LOCAL, id("spiffe://prod.example/ns/pay/api"),
        Direction.OUTBOUND);

    assertThat(policy.auditMode()).isTrue();
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.outcome()).isEqualTo(PeerDecision.Outcome.WOULD_DENY);
    assertThat(decision.reason()).startsWith("audit mode, allowed but would deny: peer"
        + " spiffe://prod.example/ns/other/sa/x matches none of");
    assertThat(matching.outcome()).isEqualTo(PeerDecision.Outcome.ALLOWED);
  }

  @Test
  void auditAloneKeepsTheSameTrustDomainDefault() {
    PeerPolicy policy = PeerPolicy.parse(" AUDIT ");

    assertThat(policy.patterns()).isEmpty();
    assertThat(policy.authorize(LOCAL, id("spiffe://other.example/a"), Direction.INBOUND).outcome())
        .isEqualTo(PeerDecision.Outcome.WOULD_DENY);
    assertThat(policy.authorize(LOCAL, id("spiffe://prod.example/a"), Direction.INBOUND).outcome())
        .isEqualTo(PeerDecision.Outcome.ALLOWED);
  }

  @Test
  void refusalMessageNamesLocalPeerDirectionAndReason() {
    PeerDecision denied = PeerPolicy.parse("spiffe://prod.example/ns/pay/*")
        .authorize(LOCAL, id("spiffe://prod.example/ns/x/sa/y"), Direction.OUTBOUND);

    assertThat(denied.refusalMessage()).isEqualTo("lanyard: refused outbound TLS to peer"
        + " spiffe://prod.example/ns/x/sa/y (local spiffe://prod.example/ns/shop/sa/web): "
        + denied.reason());
  }

  @Test
  void printsItselfInItsOwnSyntax() {
    assertThat(PeerPolicy.parse("spiffe://a/x, audit ,spiffe://b/**").toString())
        .isEqualTo("audit,spiffe://a/x,spiffe://b/**");
    assertThat(PeerPolicy.parse("").toString()).isEmpty();
  }

  @Test
  void aBadEntryFailsTheWholeListNamingTheEntry() {
    assertThatThrownBy(() -> PeerPolicy.parse("spiffe://a/x,spiffe:/b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("allowed peer \"spiffe:/b\" in LANYARD_ALLOWED_PEERS is not a"
            + " SPIFFE ID pattern: it must start with spiffe://");
  }

  private static SpiffeId id(String text) {
    return SpiffeId.parse(text);
  }
}
