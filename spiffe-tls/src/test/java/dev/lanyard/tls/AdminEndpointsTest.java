package dev.lanyard.tls;

import dev.lanyard.config.AuditMode;
import dev.lanyard.config.HostGlobs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class AdminEndpointsTest {
  private static final Instant NOW = Instant.parse("2025-05-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String ID = "spiffe://lanyard.test/ns/shop/sa/web";

  private final TestCa ca = TestCa.root("lanyard.test");
  private final Identity identity = ca.leaf(ID)
      .validity(NOW.minusSeconds(600), NOW.plusSeconds(3000)).identity();
  private final FakeSvidSource source = new FakeSvidSource();
  private final RecentPeers peers = new RecentPeers(CLOCK, 10);
  private final AuditLog audit = new AuditLog(AuditMode.OFF, Attestation.NONE,
      new PrintStream(PrintStream.nullOutputStream()), CLOCK, 50);
  private final LanyardMetrics metrics = new LanyardMetrics(source, CLOCK);
  private final AdminEndpoints endpoints = new AdminEndpoints(source,
      PeerPolicy.parse("spiffe://lanyard.test/ns/pay/*"), HostGlobs.parse("*.svc"), peers, audit,
      metrics, CLOCK);

  private AdminEndpoints.Response get(String path, String query) {
    return endpoints.handle("GET", path, query);
  }

  @Test
  void identityDescribesTheSvidBundlesPolicyAndPeers() {
    source.update(identity, ca.bundles());
    PeerDecision denied = PeerDecision.builder(Direction.INBOUND, PeerDecision.Outcome.DENIED)
        .local(ID).peerSpiffeId("spiffe://lanyard.test/ns/x/sa/y").rule(Reason.ALLOWED_PEERS)
        .reason("not listed").build();
    peers.onDecision(denied);

    AdminEndpoints.Response response = get("/identity", null);

    assertThat(response.status).isEqualTo(200);
    assertThat(response.contentType).isEqualTo("application/json");
    assertThat(response.bodyText()).contains(
        "\"ready\":true",
        "\"expired\":false",
        "\"spiffe_id\":\"" + ID + "\"",
        "\"serial\":\"" + identity.serialHex() + "\"",
        "\"not_before\":\"2025-05-01T11:50:00Z\"",
        "\"not_after\":\"2025-05-01T12:50:00Z\"",
        "\"seconds_to_rotation\":1200",
        "\"seconds_to_expiry\":3000",
        "\"rotation_count\":0",
        "\"workload_api\":\"" + FakeSvidSource.ADDRESS + "\"",
        "\"trust_domains\":[{\"trust_domain\":\"lanyard.test\",\"authorities\":[{\"sha256\":\""
            + Certificates.sha256(ca.certificate()) + "\"",
        "\"policy\":{\"allowed_peers\":[\"spiffe://lanyard.test/ns/pay/*\"],\"audit_mode\":false,"
            + "\"mesh_hosts\":[\"*.svc\"]}",
        "\"recent_peers\":[{\"peer\":\"spiffe://lanyard.test/ns/x/sa/y\",\"direction\":\"inbound\","
            + "\"allowed\":0,\"denied\":1",
        "\"last_denial\":{\"timestamp\":\"2025-05-01T12:00:00Z\",\"action\":\"tls.accept\"");
  }

  @Test
  void theHealthSurfaceAnswersReadinessAloneAndNamesNothing() {
    AdminEndpoints.Response starting = endpoints.health("GET", "/ready", null);
    source.update(identity, ca.bundles());
    AdminEndpoints.Response ready = endpoints.health("GET", "/ready", null);

    assertThat(starting.status).isEqualTo(503);
    assertThat(ready.status).isEqualTo(200);
    for (AdminEndpoints.Response answer : java.util.List.of(starting, ready)) {
      assertThat(answer.bodyText()).doesNotContain("spiffe://", FakeSvidSource.ADDRESS);
    }
    for (String path : java.util.List.of("/identity", "/audit", "/metrics", "/")) {
      AdminEndpoints.Response other = endpoints.health("GET", path, null);
      assertThat(other.status).as(path).isEqualTo(404);
      assertThat(other.bodyText()).contains("only GET /ready").doesNotContain(ID);
    }
    assertThat(endpoints.health("POST", "/ready", null).status).isEqualTo(405);
  }

  @Test
  void identityEndsWithTheHostsOwnFieldsWhichNeverReplaceTheCommonOnes() {
    source.update(identity, ca.bundles());
    endpoints.identityExtras(() -> java.util.Map.of(
        "uncovered", java.util.List.of(java.util.Map.of("what", "x.Y", "why", "not hooked")),
        "spiffe_id", "spiffe://elsewhere/forged"));

    String body = get("/identity", null).bodyText();

    assertThat(body).contains("\"spiffe_id\":\"" + ID + "\"")
        .doesNotContain("forged")
        .contains("\"uncovered\":[{");
    assertThat(body.indexOf("\"uncovered\"")).isGreaterThan(body.indexOf("\"last_denial\""));
  }

  @Test
  void identityNeverContainsKeyMaterial() throws Exception {
    source.update(identity, ca.bundles());
    String body = get("/identity", null).bodyText();
    String key = Base64.getEncoder().encodeToString(identity.privateKey().getEncoded());

    assertThat(body).doesNotContain(key.substring(0, 40)).doesNotContainIgnoringCase("private");
  }

  @Test
  void identityBeforeTheFirstSvidSaysNotReadyAndWhy() {
    source.lastError("UNAVAILABLE: io exception");

    String body = get("/identity", null).bodyText();

    assertThat(body).contains("\"ready\":false", "\"last_error\":\"UNAVAILABLE: io exception\"")
        .doesNotContain("spiffe_id");
  }

  @Test
  void readyIs200OnlyWhileAValidSvidIsHeld() {
    source.lastError("PERMISSION_DENIED: no identity issued");
    AdminEndpoints.Response before = get("/ready", null);
    source.update(identity, ca.bundles());
    AdminEndpoints.Response during = get("/ready", null);
    source.update(ca.leaf(ID).validity(NOW.minusSeconds(600), NOW.minusSeconds(1)).identity(),
        ca.bundles());
    AdminEndpoints.Response expired = get("/ready", null);
    String expiredIdentity = get("/identity", null).bodyText();

    assertThat(before.status).isEqualTo(503);
    assertThat(before.bodyText()).isEqualTo("not ready: no X.509-SVID yet from the Workload API at "
        + FakeSvidSource.ADDRESS + " (last error: PERMISSION_DENIED: no identity issued)\n");
    assertThat(during.status).isEqualTo(200);
    assertThat(during.bodyText()).isEqualTo("ready: " + ID + " valid until 2025-05-01T12:50:00Z\n");
    assertThat(expired.status).isEqualTo(503);
    assertThat(expired.bodyText()).startsWith("not ready: X.509-SVID " + ID
        + " expired at 2025-05-01T11:59:59Z");
    assertThat(expiredIdentity).contains("\"ready\":false", "\"expired\":true");
  }

  @Test
  void metricsAreInPrometheusTextFormat() {
    source.update(identity, ca.bundles());

    AdminEndpoints.Response response = get("/metrics", null);

    assertThat(response.status).isEqualTo(200);
    assertThat(response.contentType).startsWith("text/plain; version=0.0.4");
    assertThat(response.bodyText()).contains("# TYPE lanyard_handshakes_total counter",
        "lanyard_svid_expiry_seconds 3000.0");
  }

  @Test
  void theMetricsPortServesMetricsAloneWithoutPeerIdentities() {
    source.update(identity, ca.bundles());
    metrics.onDecision(PeerDecision.builder(Direction.INBOUND, PeerDecision.Outcome.DENIED)
        .local(ID).peerSpiffeId("spiffe://lanyard.test/ns/x/sa/y").rule(Reason.ALLOWED_PEERS)
        .reason("not listed").build());

    AdminEndpoints.Response scrape = endpoints.metricsPort("GET", "/metrics", null);

    assertThat(scrape.status).isEqualTo(200);
    assertThat(scrape.contentType).startsWith("text/plain; version=0.0.4");
    assertThat(scrape.bodyText()).contains(
        "lanyard_refusals_total{direction=\"inbound\",reason=\"allowed_peers\"} 1.0",
        "lanyard_handshakes_total{outcome=\"denied\"} 1.0", "lanyard_svid_expiry_seconds 3000.0")
        .doesNotContain("lanyard_denials_total", "spiffe://");
    assertThat(get("/metrics", null).bodyText())
        .as("the loopback admin endpoint keeps the per-peer counts")
        .contains("lanyard_denials_total{peer_spiffe_id=\"spiffe://lanyard.test/ns/x/sa/y\"} 1.0");
    for (String path : java.util.List.of("/identity", "/audit", "/ready", "/")) {
      AdminEndpoints.Response other = endpoints.metricsPort("GET", path, null);
      assertThat(other.status).as(path).isEqualTo(404);
      assertThat(other.bodyText()).contains("the metrics port serves only GET /metrics");
    }
    assertThat(endpoints.metricsPort("POST", "/metrics", null).status).isEqualTo(405);
  }

  @Test
  void auditReturnsTheNewestRecordsAsJsonLines() {
    for (int i = 0; i < 5; i++) {
      audit.onDecision(PeerDecision.builder(Direction.OUTBOUND, PeerDecision.Outcome.ALLOWED)
          .peerSpiffeId("spiffe://lanyard.test/p" + i).rule(Reason.ALLOWED_PEERS).reason("x").build());
    }

    AdminEndpoints.Response response = get("/audit", "limit=2");

    assertThat(response.contentType).isEqualTo("application/x-ndjson");
    assertThat(response.bodyText().lines()).hasSize(2);
    assertThat(response.bodyText()).contains("spiffe://lanyard.test/p3", "spiffe://lanyard.test/p4");
    assertThat(get("/audit", null).bodyText().lines()).hasSize(5);
  }

  @Test
  void badLimitIs400WithTheFix() {
    AdminEndpoints.Response response = get("/audit", "limit=lots");

    assertThat(response.status).isEqualTo(400);
    assertThat(response.bodyText()).isEqualTo("limit=lots is not a positive whole number; write"
        + " e.g. /audit?limit=50 (at most 50 are kept)\n");
    assertThat(get("/audit", "limit=0").status).isEqualTo(400);
  }

  @Test
  void unknownPathsAre404AndOtherMethods405() {
    assertThat(get("/", null).status).isEqualTo(404);
    assertThat(get("/identity/x", null).status).isEqualTo(404);
    assertThat(endpoints.handle("POST", "/ready", null).status).isEqualTo(405);
    assertThat(endpoints.handle("DELETE", "/audit", null).bodyText())
        .isEqualTo("DELETE not allowed: the admin endpoint is read-only (GET)\n");
  }
}
