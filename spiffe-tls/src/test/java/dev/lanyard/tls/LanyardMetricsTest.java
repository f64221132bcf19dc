package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LanyardMetricsTest {
  private final TestCa ca = TestCa.root("lanyard.test");

  private static String scrape(LanyardMetrics metrics) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.writeTo(out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static PeerDecision decision(PeerDecision.Outcome outcome, String peer) {
    PeerDecision.Builder builder = PeerDecision.builder(Direction.INBOUND, outcome).rule(Reason.ALLOWED_PEERS).reason("x");
    return (peer.startsWith("spiffe:") ? builder.peerSpiffeId(peer) : builder.peerSubject(peer)).build();
  }

  @Test
  void countsHandshakesByOutcomeAndDenialsByVerifiedPeer() throws Exception {
    LanyardMetrics metrics = new LanyardMetrics(new FakeSvidSource(), Clock.systemUTC());

    metrics.onDecision(decision(PeerDecision.Outcome.ALLOWED, "spiffe://td/a"));
    metrics.onDecision(decision(PeerDecision.Outcome.DENIED, "spiffe://td/evil"));
    metrics.onDecision(decision(PeerDecision.Outcome.DENIED, "spiffe://td/evil"));
    metrics.onDecision(decision(PeerDecision.Outcome.DENIED, "CN=laptop"));
    metrics.onDecision(PeerDecision.builder(Direction.INBOUND, PeerDecision.Outcome.DENIED)
        .claimedSpiffeId("spiffe://td/forged-" + System.nanoTime()).rule(InvalidSvidException.Reason.CHAIN_NOT_TRUSTED)
        .reason("x").build());

    assertThat(scrape(metrics)).contains(
        "lanyard_handshakes_total{outcome=\"allowed\"} 1.0",
        "lanyard_handshakes_total{outcome=\"denied\"} 4.0",
        "lanyard_handshakes_total{outcome=\"would_deny\"} 0.0",
        "lanyard_denials_total{peer_spiffe_id=\"spiffe://td/evil\"} 2.0",
        "lanyard_denials_total{peer_spiffe_id=\"none\"} 1.0",
        "lanyard_denials_total{peer_spiffe_id=\"unverified\"} 1.0",
        "lanyard_rotations_total 0.0");
  }

  @Test
  void reportsRotationsAndSecondsToExpiryFromTheSource() throws Exception {
    Instant now = Instant.parse("2025-05-01T12:00:00Z");
    Identity first = ca.leaf("spiffe://lanyard.test/a").validity(now.minusSeconds(60),
        now.plusSeconds(120)).identity();
    FakeSvidSource source = new FakeSvidSource(first, ca.bundles());
    LanyardMetrics metrics = new LanyardMetrics(source,
        Clock.fixed(now, java.time.ZoneOffset.UTC));
    source.update(ca.leaf("spiffe://lanyard.test/a").validity(now.minusSeconds(10),
        now.plus(Duration.ofSeconds(300))).identity(), ca.bundles());

    assertThat(scrape(metrics)).contains("lanyard_rotations_total 1.0",
        "lanyard_svid_expiry_seconds 300.0");
  }

  @Test
  void hasNoExpiryBeforeTheFirstSvid() throws Exception {
    String text = scrape(new LanyardMetrics(new FakeSvidSource(), Clock.systemUTC()));

    assertThat(text).doesNotContain("lanyard_svid_expiry_seconds ");
  }

  @Test
  void reportsRejectedUpdatesByReason() throws Exception {
    FakeSvidSource source = new FakeSvidSource();
    source.rejected(java.util.Map.of("malformed_key", 2L, "expired", 1L));

    assertThat(scrape(new LanyardMetrics(source, Clock.systemUTC()))).contains(
        "lanyard_svid_updates_rejected_total{reason=\"malformed_key\"} 2.0",
        "lanyard_svid_updates_rejected_total{reason=\"expired\"} 1.0");
  }

  @Test
  void exportsEveryRejectionReasonAtZeroBeforeTheFirstRejection() throws Exception {
    String text = scrape(new LanyardMetrics(new FakeSvidSource(), Clock.systemUTC()));

    for (InvalidSvidException.Reason reason : InvalidSvidException.Reason.values()) {
      assertThat(text).contains(
          "lanyard_svid_updates_rejected_total{reason=\"" + reason.code() + "\"} 0.0");
    }
  }
}
