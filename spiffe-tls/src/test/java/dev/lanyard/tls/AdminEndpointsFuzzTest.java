package dev.lanyard.tls;

import dev.lanyard.config.AuditMode;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.HostGlobs;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lanyard.reasons.Reason;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;

/**
 * The admin endpoint's request handling ({@link AdminEndpoints#handle}) for any method, path and
 * query: one of its own statuses (200, 400, 404, 405, and 503 only from {@code /ready}), never a
 * 500, never a stack trace, never key material, and {@code /audit?limit=N} never more than N lines.
 * Asked of two endpoints: one holding a valid SVID with audit records, one before the first SVID.
 *
 * <p>Input: UTF-8 lines method, path, query (the query line absent means no query); see {@code
 * AdminEndpointsFuzzTestInputs/}. {@link AdminServerFuzzTest} sends raw bytes through the server.
 */
class AdminEndpointsFuzzTest {
  private static final Instant NOW = Instant.parse("2025-05-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final TestCa CA = TestCa.root("lanyard.test");
  static final Identity IDENTITY = CA.leaf("spiffe://lanyard.test/ns/shop/sa/web")
      .validity(NOW.minusSeconds(600), NOW.plusSeconds(3000)).identity();
  static final int AUDIT_RECORDS = 7;
  static final AdminEndpoints READY = endpoints(true);
  private static final AdminEndpoints STARTING = endpoints(false);

  /** Ready endpoints with {@link #AUDIT_RECORDS} records and a denial, or ones before any SVID. */
  static AdminEndpoints endpoints(boolean ready) {
    FakeSvidSource source = new FakeSvidSource();
    if (ready) {
      source.update(IDENTITY, CA.bundles());
    } else {
      source.lastError("UNAVAILABLE: connection refused");
    }
    RecentPeers peers = new RecentPeers(CLOCK, 10);
    AuditLog audit = new AuditLog(AuditMode.OFF, Attestation.NONE,
        new PrintStream(PrintStream.nullOutputStream()), CLOCK, 50);
    for (int i = 0; i < AUDIT_RECORDS; i++) {
      PeerDecision decision = PeerDecision.builder(Direction.INBOUND,
              i % 2 == 0 ? PeerDecision.Outcome.ALLOWED : PeerDecision.Outcome.DENIED)
          .local(IDENTITY.spiffeId().toString()).peerSpiffeId("spiffe://lanyard.test/ns/x/sa/p" + i)
          .rule(Reason.ALLOWED_PEERS).reason("test decision " + i).build();
      audit.onDecision(decision);
      peers.onDecision(decision);
    }
    return new AdminEndpoints(source, PeerPolicy.parse("audit,spiffe://lanyard.test/ns/x/*"),
        HostGlobs.parse("*.svc"), peers, audit, new LanyardMetrics(source, CLOCK), CLOCK);
  }

  @FuzzTest(maxDuration = "2m")
  void endpointsAnswerAnyRequest(byte[] input) {
    String[] lines = new String(input, StandardCharsets.UTF_8).split("\n", 3);
    String method = lines[0];
    String path = lines.length > 1 ? lines[1] : "/";
    String query = lines.length > 2 ? lines[2] : null;
    check(READY, method, path, query);
    check(STARTING, method, path, query);
  }

  private static void check(AdminEndpoints endpoints, String method, String path, String query) {
    AdminEndpoints.Response response = endpoints.handle(method, path, query);
    String body = response.bodyText();
    boolean known = List.of("/identity", "/ready", "/metrics", "/audit").contains(path);

    assertThat(response.contentType).isNotBlank();
    assertNoSecretsOrTraces(body, method, path, query);
    String own = body;
    for (String part : new String[] {method, path, query}) {
      own = part == null || part.isEmpty() ? own : own.replace(part, "");
    }
    assertThat(own).as("an exception's name in Lanyard's own answer").doesNotContain("Exception");
    if (!known) {
      assertThat(response.status).isEqualTo(404);
      return;
    }
    if (!method.equals("GET")) {
      assertThat(response.status).isEqualTo(405);
      return;
    }
    switch (path) {
      case "/ready":
        assertThat(response.status).isIn(200, 503);
        break;
      case "/audit":
        assertThat(response.status).as("%s?%s", path, query).isIn(200, 400);
        if (response.status == 200) {
          assertThat(body.lines().count()).isLessThanOrEqualTo(Math.min(AUDIT_RECORDS,
              limitOf(query)));
          body.lines().forEach(line -> assertThat(line).startsWith("{").endsWith("}"));
        } else {
          assertThat(body).contains("is not a positive whole number");
        }
        break;
      default:
        assertThat(response.status).isEqualTo(200);
        break;
    }
  }

  /** The limit the query asks for, read independently of the endpoint: the last limit= wins. */
  private static long limitOf(String query) {
    long limit = Long.MAX_VALUE;
    if (query != null) {
      for (String parameter : query.split("&")) {
        if (parameter.startsWith("limit=")) {
          limit = Long.parseLong(parameter.substring("limit=".length()));
        }
      }
    }
    return limit;
  }

  /**
   * No private key (PKCS#8 in Base64, or any PEM label), no Java stack trace; {@code echoed} are
   * the request's own parts, which error messages may quote back.
   */
  static void assertNoSecretsOrTraces(String text, String... echoed) {
    for (String part : echoed) {
      if (part != null && !part.isEmpty()) {
        text = text.replace(part, "");
      }
    }
    String key = Base64.getEncoder().encodeToString(IDENTITY.privateKey().getEncoded());
    assertThat(text).doesNotContain(key.substring(key.length() / 2, key.length() / 2 + 32))
        .doesNotContain("PRIVATE KEY")
        .doesNotContain("\tat ")
        .doesNotContain("Caused by");
  }
}
