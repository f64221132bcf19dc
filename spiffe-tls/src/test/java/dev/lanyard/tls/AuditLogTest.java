package dev.lanyard.tls;

import dev.lanyard.config.AuditMode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import io.spiffe.spiffeid.SpiffeId;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class AuditLogTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-05-01T12:00:00Z"), ZoneOffset.UTC);
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

  private AuditLog log(AuditMode mode, Attestation attestation, int capacity) {
    return new AuditLog(mode, attestation, new PrintStream(stderr, true, StandardCharsets.UTF_8),
        CLOCK, capacity);
  }

  private static PeerDecision decision(PeerDecision.Outcome outcome, String peer) {
    return PeerDecision.builder(Direction.OUTBOUND, outcome)
        .local("spiffe://td/ns/a/sa/web").peerSpiffeId(peer).peerAddress("api.b.svc:443")
        .rule(Reason.SAME_TRUST_DOMAIN).reason("because").build();
  }

  /** The pattern that allowed the peer is data of its own, after the stable rule code. */
  @Test
  void theMatchedEntryFollowsTheRuleCode() {
    log(AuditMode.ALL, Attestation.fromEnv(Map.of(), new Properties()), 8).onDecision(
        PeerPolicy.parse("spiffe://td/ns/b/*").authorize(SpiffeId.parse("spiffe://td/ns/a/sa/web"),
            SpiffeId.parse("spiffe://td/ns/b/api"), Direction.INBOUND));

    assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("\"result\":\"allowed\","
        + "\"rule\":\"allowed_peers\",\"matched\":\"spiffe://td/ns/b/*\",\"reason\":\"peer"
        + " spiffe://td/ns/b/api matches LANYARD_ALLOWED_PEERS pattern spiffe://td/ns/b/*\"");
  }

  @Test
  void aRecordIsOneJsonLineWithTheDocumentedFieldsInOrder() {
    Attestation attestation = Attestation.fromEnv(Map.of("LANYARD_POD_NAME", "web-0",
        "LANYARD_POD_NAMESPACE", "a", "LANYARD_NODE_NAME", "node-1",
        "LANYARD_SERVICE_ACCOUNT", "web"), new Properties());

    log(AuditMode.DENY, attestation, 8).onDecision(
        decision(PeerDecision.Outcome.DENIED, "spiffe://td/ns/b/sa/api"));

    assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo("{\"timestamp\":\"2025-05-01T12:00:00Z\","
        + "\"action\":\"tls.connect\",\"spiffe_id\":\"spiffe://td/ns/a/sa/web\","
        + "\"peer_spiffe_id\":\"spiffe://td/ns/b/sa/api\",\"attestation\":{\"platform\":\"kubernetes\","
        + "\"node\":\"node-1\",\"namespace\":\"a\",\"pod\":\"web-0\",\"service_account\":\"web\"},"
        + "\"resource\":\"api.b.svc:443\",\"result\":\"denied\",\"rule\":\"same_trust_domain\","
        + "\"reason\":\"because\"}" + System.lineSeparator());
  }

  @Test
  void absentFactsAreLeftOutNotWrittenAsNull() {
    PeerDecision inboundWithoutSvid = PeerDecision.builder(Direction.INBOUND, PeerDecision.Outcome.DENIED)
        .peerSubject("CN=laptop").rule(Reason.CLIENT_SVID_REQUIRED).reason("no SPIFFE ID").build();

    log(AuditMode.ALL, Attestation.NONE, 8).onDecision(inboundWithoutSvid);

    assertThat(stderr.toString(StandardCharsets.UTF_8))
        .contains("\"action\":\"tls.accept\"", "\"peer_subject\":\"CN=laptop\"")
        .doesNotContain("attestation", "spiffe_id", "resource", "null");
  }

  @Test
  void anUnverifiedClaimIsMarkedAsSuch() {
    log(AuditMode.ALL, Attestation.NONE, 8).onDecision(
        PeerDecision.builder(Direction.INBOUND, PeerDecision.Outcome.DENIED)
            .claimedSpiffeId("spiffe://td/forged").rule(InvalidSvidException.Reason.CHAIN_NOT_TRUSTED).reason("x")
            .build());

    assertThat(stderr.toString(StandardCharsets.UTF_8))
        .contains("\"peer_spiffe_id\":\"spiffe://td/forged\",\"peer_verified\":false");
  }

  @Test
  void denyModeWritesRefusalsAndWouldBeRefusalsOnly() {
    AuditLog log = log(AuditMode.DENY, Attestation.NONE, 8);

    log.onDecision(decision(PeerDecision.Outcome.ALLOWED, "spiffe://td/ok"));
    log.onDecision(decision(PeerDecision.Outcome.DENIED, "spiffe://td/denied"));
    log.onDecision(decision(PeerDecision.Outcome.WOULD_DENY, "spiffe://td/audited"));

    String written = stderr.toString(StandardCharsets.UTF_8);
    assertThat(written.lines()).hasSize(2);
    assertThat(written).doesNotContain("spiffe://td/ok").contains("\"result\":\"would_deny\"");
    assertThat(log.recent(10)).hasSize(3);
  }

  @Test
  void offWritesNothingButStillRemembers() {
    AuditLog log = log(AuditMode.OFF, Attestation.NONE, 8);

    log.onDecision(decision(PeerDecision.Outcome.DENIED, "spiffe://td/denied"));

    assertThat(stderr.size()).isZero();
    assertThat(log.recent(10)).hasSize(1);
  }

  @Test
  void theRingBufferKeepsTheNewestRecordsOldestFirst() {
    AuditLog log = log(AuditMode.OFF, Attestation.NONE, 3);
    for (int i = 1; i <= 5; i++) {
      log.onDecision(decision(PeerDecision.Outcome.ALLOWED, "spiffe://td/peer-" + i));
    }

    assertThat(log.recent(10)).extracting(r -> r.decision().peer())
        .containsExactly("spiffe://td/peer-3", "spiffe://td/peer-4", "spiffe://td/peer-5");
    assertThat(log.recent(2)).extracting(r -> r.decision().peer())
        .containsExactly("spiffe://td/peer-4", "spiffe://td/peer-5");
  }
}
