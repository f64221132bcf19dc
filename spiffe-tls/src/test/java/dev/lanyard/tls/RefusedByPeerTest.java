package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RefusedByPeerTest {
  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
  private static final String OURS = "spiffe://lanyard.test/ns/other/sa/stranger";
  private static final String SERVER = "spiffe://lanyard.test/ns/mesh/sa/server";

  private final TestCa ca = TestCa.root("lanyard.test");
  private final Identity valid =
      ca.leaf(OURS).validity(NOW.minusSeconds(60), NOW.plusSeconds(600)).identity();
  private final Identity expired =
      ca.leaf(OURS).validity(NOW.minusSeconds(600), NOW.minusSeconds(1)).identity();

  @Test
  void findsTheCertificateAlertInJsseAndBoringSslMessages() {
    assertThat(RefusedByPeer.alertIn("Received fatal alert: certificate_unknown"))
        .hasValue("certificate_unknown");
    assertThat(RefusedByPeer.alertIn("Received fatal alert: bad_certificate"))
        .hasValue("bad_certificate");
    assertThat(RefusedByPeer.alertIn(
        "error:10000416:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN"))
        .hasValue("certificate_unknown");
    assertThat(RefusedByPeer.alertIn("error:1000049:SSL routines:TLSV1_ALERT_ACCESS_DENIED"))
        .hasValue("access_denied");
    assertThat(RefusedByPeer.alertIn("Received fatal alert: handshake_failure")).isEmpty();
    assertThat(RefusedByPeer.alertIn("Received fatal alert: protocol_version")).isEmpty();
    assertThat(RefusedByPeer.alertIn("lanyard: refused outbound TLS to peer ...")).isEmpty();
    assertThat(RefusedByPeer.alertIn(null)).isEmpty();
  }

  @Test
  void judgesTheLikelyCause() {
    assertThat(RefusedByPeer.likelyCause("certificate_unknown", Optional.of(valid),
        Optional.of(SERVER), NOW)).isEqualTo(Reason.PEER_REFUSED_NOT_ALLOWED);
    assertThat(RefusedByPeer.likelyCause("certificate_unknown", Optional.of(valid),
        Optional.empty(), NOW)).isEqualTo(Reason.PEER_REFUSED_NOT_ALLOWED);
    assertThat(RefusedByPeer.likelyCause("certificate_unknown", Optional.of(valid),
        Optional.of("spiffe://foreign.test/ns/mesh/sa/server"), NOW))
        .isEqualTo(Reason.PEER_REFUSED_FOREIGN_TRUST_DOMAIN);
    assertThat(RefusedByPeer.likelyCause("certificate_unknown", Optional.of(expired),
        Optional.of(SERVER), NOW)).isEqualTo(Reason.PEER_REFUSED_EXPIRED);
    assertThat(RefusedByPeer.likelyCause("certificate_expired", Optional.of(valid),
        Optional.of(SERVER), NOW)).isEqualTo(Reason.PEER_REFUSED_EXPIRED);
    assertThat(RefusedByPeer.likelyCause("unknown_ca", Optional.of(valid), Optional.of(SERVER),
        NOW)).isEqualTo(Reason.PEER_REFUSED_UNTRUSTED_CA);
  }

  @Test
  void theDecisionNamesThePeerTheAlertTheCauseAndTheFix() {
    PeerDecision decision = RefusedByPeer.decision("orders:8443", Optional.of(SERVER),
        "certificate_unknown", Optional.of(valid), NOW);

    assertThat(decision.action()).isEqualTo("tls.refused_by_peer");
    assertThat(decision.outcome()).isEqualTo(PeerDecision.Outcome.DENIED);
    assertThat(decision.rule()).isEqualTo("peer_refused_not_allowed");
    assertThat(decision.matched()).hasValue("certificate_unknown");
    assertThat(decision.peerAddress()).hasValue("orders:8443");
    assertThat(decision.localSpiffeId()).hasValue(OURS);
    assertThat(decision.reason()).isEqualTo("orders:8443 (" + SERVER + ") refused our X.509-SVID "
        + OURS + " with TLS alert certificate_unknown: likely " + OURS + " is not in the peer's"
        + " allowed peers (add it to that workload's LANYARD_ALLOWED_PEERS or"
        + " lanyard.dev/allowed-peers); the peer's audit record (its /audit, lanyard audit) names"
        + " the rule");

    assertThat(RefusedByPeer.decision("db:5432", Optional.of("spiffe://foreign.test/ns/db/sa/pg"),
        "bad_certificate", Optional.of(valid), NOW).reason())
        .contains("likely the peer is in trust domain foreign.test and does not accept"
            + " lanyard.test (federate the trust domains");
    assertThat(RefusedByPeer.decision("db:5432", Optional.empty(), "certificate_unknown",
        Optional.empty(), NOW).reason())
        .startsWith("db:5432 refused our X.509-SVID (none yet) with TLS alert");
  }
}
