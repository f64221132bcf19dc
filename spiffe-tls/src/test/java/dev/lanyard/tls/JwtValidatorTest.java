package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.spiffe.spiffeid.SpiffeId;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JwtValidatorTest {
  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  private static final SpiffeId LOCAL = SpiffeId.parse("spiffe://lanyard.test/ns/api/sa/server");
  private static final String CALLER = "spiffe://lanyard.test/ns/agents/sa/caller";

  private final ECKey ours = newKey("ours-1");
  private final ECKey foreign = newKey("foreign-1");
  private final JwtBundles bundles = JwtBundles.of(Map.of(
      "lanyard.test", Map.<String, PublicKey>of("ours-1", publicKey(ours)),
      "foreign.test", Map.<String, PublicKey>of("foreign-1", publicKey(foreign))));
  private final JwtValidator validator = new JwtValidator(PeerPolicy.SAME_TRUST_DOMAIN,
      Clock.fixed(NOW, ZoneOffset.UTC), JwtValidator.DEFAULT_CLOCK_SKEW);

  @Test
  void aValidTokenOfTheOwnTrustDomainIsAcceptedWithItsVerifiedSubject() {
    PeerDecision decision = validate(sign(ours, CALLER, "api", NOW.plusSeconds(300)));

    assertThat(decision.allowed()).as(decision.reason()).isTrue();
    assertThat(decision.peerIdVerified()).isTrue();
    assertThat(JwtVerifier.subject(decision)).contains(CALLER);
    assertThat(decision.action()).isEqualTo("jwt.accept");
    assertThat(decision.audience()).contains("api");
    assertThat(decision.rule()).isEqualTo("same_trust_domain");
    assertThat(decision.peerAddress()).contains("127.0.0.1:5000");
  }

  @Test
  void eachRefusalHasItsOwnRuleAndNamesTheSubject() {
    assertRefused(validate(null), "missing_token", "no Authorization: Bearer header");
    assertRefused(validate("not.a.jwt"), "malformed", "not a signed JWT");
    assertRefused(validate(sign(ours, CALLER, "other", NOW.plusSeconds(300))), "wrong_audience",
        CALLER + " is for audience [other], not \"api\"");
    assertRefused(validate(sign(ours, CALLER, "api", NOW.minusSeconds(11))), "expired",
        CALLER + " expired at " + NOW.minusSeconds(11));
    assertRefused(validate(sign(ours, "https://not-spiffe/x", "api", NOW.plusSeconds(60))),
        "subject_not_spiffe_id", "\"https://not-spiffe/x\" is not a SPIFFE ID");
    assertRefused(validate(sign(ours, "spiffe://LANYARD.test/caller", "api", NOW.plusSeconds(60))),
        "subject_not_spiffe_id", "\"spiffe://LANYARD.test/caller\" is not a SPIFFE ID (the scheme"
            + " and trust domain must be lower case)");
    assertRefused(validate(sign(newKey("ours-1"), CALLER, "api", NOW.plusSeconds(60))),
        "bad_signature", CALLER + " (unverified): the signature does not verify");
    assertRefused(validate(sign(newKey("rogue"), CALLER, "api", NOW.plusSeconds(60))),
        "unknown_key", "key ID \"rogue\", which is not in the JWT bundle of lanyard.test");
    assertRefused(validate(sign(ours, "spiffe://elsewhere.test/x", "api", NOW.plusSeconds(60))),
        "unknown_trust_domain", "trust domain elsewhere.test, for which there is no JWT bundle");
  }

  @Test
  void aTokenSignedWithAForeignTrustDomainsKeyDoesNotVerifyForOurs() {
    // The foreign key signs a token that claims one of our IDs, with our key ID.
    ECKey forged = new ECKey.Builder(foreign).keyID("ours-1").build();
    PeerDecision decision = validate(sign(forged, CALLER, "api", NOW.plusSeconds(60)));

    assertRefused(decision, "bad_signature", CALLER + " (unverified)");
    assertThat(decision.peerIdVerified()).isFalse();
    assertThat(decision.peerSpiffeId()).contains(CALLER);
  }

  @Test
  void aVerifiedForeignSubjectStillGoesThroughThePeerPolicy() {
    PeerDecision decision = validate(sign(foreign, "spiffe://foreign.test/ns/x/sa/y", "api",
        NOW.plusSeconds(60)));

    assertRefused(decision, "same_trust_domain", "outside the local trust domain lanyard.test");
    assertThat(decision.peerIdVerified()).isTrue();
    assertThat(decision.refusalMessage()).startsWith("lanyard: refused jwt.accept from peer"
        + " spiffe://foreign.test/ns/x/sa/y");
  }

  @Test
  void anAllowedPeersListIsApplied() {
    JwtValidator listed = new JwtValidator(PeerPolicy.parse("spiffe://lanyard.test/ns/agents/sa/*"),
        Clock.fixed(NOW, ZoneOffset.UTC), JwtValidator.DEFAULT_CLOCK_SKEW);
    assertThat(listed.validate(sign(ours, CALLER, "api", NOW.plusSeconds(60)), "api", bundles,
        LOCAL, null).allowed()).isTrue();
    assertRefused(listed.validate(sign(ours, "spiffe://lanyard.test/ns/other/sa/z", "api",
        NOW.plusSeconds(60)), "api", bundles, LOCAL, null), "allowed_peers",
        "matches none of LANYARD_ALLOWED_PEERS");
  }

  @Test
  void aSmallClockSkewIsAllowed() {
    assertThat(validate(sign(ours, CALLER, "api", NOW.minusSeconds(5))).allowed()).isTrue();
  }

  @Test
  void hmacAndNoneAreNeverAccepted() throws Exception {
    SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("ours-1").build(),
        claims(CALLER, "api", NOW.plusSeconds(60)));
    hmac.sign(new MACSigner(new byte[32]));
    assertRefused(validate(hmac.serialize()), "unsupported_algorithm", "algorithm HS256");
    String none = "eyJhbGciOiJub25lIn0." + hmac.serialize().split("\\.")[1] + ".";
    assertRefused(validate(none), "malformed", "not a signed JWT");
  }

  @Test
  void theBearerSchemeIsParsedStrictly() {
    assertThat(JwtVerifier.bearerToken("Bearer abc")).isEqualTo("abc");
    assertThat(JwtVerifier.bearerToken("bearer  abc ")).isEqualTo("abc");
    assertThat(JwtVerifier.bearerToken("Basic abc")).isNull();
    assertThat(JwtVerifier.bearerToken("Bearer ")).isNull();
    assertThat(JwtVerifier.bearerToken(null)).isNull();
  }

  @Test
  void theAuditRecordNamesTheSubjectButNeverCarriesTheToken() {
    String token = sign(ours, CALLER, "other", NOW.plusSeconds(300));
    PeerDecision decision = validate(token);
    String json = new AuditRecord(NOW, decision, Attestation.NONE).toJson();

    assertThat(json).contains("\"action\":\"jwt.accept\"").contains("\"peer_spiffe_id\":\"" + CALLER)
        .contains("\"audience\":\"api\"").contains("\"result\":\"denied\"")
        .contains("\"reason\":").doesNotContain(token).doesNotContain(token.split("\\.")[2]);
  }

  private PeerDecision validate(String token) {
    return validator.validate(token, "api", bundles, LOCAL, "127.0.0.1:5000");
  }

  private static void assertRefused(PeerDecision decision, String rule, String reasonPart) {
    assertThat(decision.allowed()).as(decision.reason()).isFalse();
    assertThat(decision.outcome()).isEqualTo(PeerDecision.Outcome.DENIED);
    assertThat(decision.rule()).isEqualTo(rule);
    assertThat(decision.reason()).contains(reasonPart);
  }

  static String sign(ECKey key, String subject, String audience, Instant expiry) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
          .type(JOSEObjectType.JWT).build(), claims(subject, audience, expiry));
      jwt.sign(new ECDSASigner(key));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JWTClaimsSet claims(String subject, String audience, Instant expiry) {
    return new JWTClaimsSet.Builder().subject(subject).audience(List.of(audience))
        .expirationTime(Date.from(expiry)).issueTime(Date.from(expiry.minusSeconds(300))).build();
  }

  static ECKey newKey(String keyId) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(keyId).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static PublicKey publicKey(ECKey key) {
    try {
      return key.toECPublicKey();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
