package dev.lanyard.tls;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.lanyard.config.Durations;
import dev.lanyard.reasons.Reason;
import io.spiffe.spiffeid.SpiffeId;
import java.security.PublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a received JWT-SVID is accepted: pure logic over the JWT bundles, the peer
 * policy and a clock. The checks run in this order and each refusal has its own {@link
 * PeerDecision#rule()} code and a sentence naming the token's subject:
 *
 * <ol>
 *   <li>{@code missing_token}: no {@code Authorization: Bearer} token;
 *   <li>{@code malformed}: not a signed compact JWT;
 *   <li>{@code unsupported_algorithm}: not RS/ES/PS 256/384/512 (never {@code none} or HMAC);
 *   <li>{@code subject_not_spiffe_id}: {@code sub} missing or not a SPIFFE ID;
 *   <li>{@code unknown_trust_domain}: no JWT bundle for the subject's trust domain;
 *   <li>{@code unknown_key}: the {@code kid} is not in that bundle;
 *   <li>{@code bad_signature}: the signature does not verify with that key;
 *   <li>{@code wrong_audience}: {@code aud} does not contain the expected audience;
 *   <li>{@code expired} / {@code not-yet-valid}: {@code exp} (required) or {@code nbf}, with
 *       {@link #DEFAULT_CLOCK_SKEW} allowance;
 *   <li>then the same {@link PeerPolicy} as mutual TLS (its rule and reason).
 * </ol>
 *
 * Until the signature verifies, the subject is only claimed: decisions carry it as unverified.
 */
public final class JwtValidator {
  /** How far the clocks of the issuer and this workload may disagree. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(10);

  static final Set<JWSAlgorithm> ALLOWED_ALGORITHMS = Collections.unmodifiableSet(new HashSet<>(
      Arrays.asList(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
          JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
          JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512)));

  private final PeerPolicy policy;
  private final Clock clock;
  private final Duration skew;

  public JwtValidator(PeerPolicy policy, Clock clock, Duration skew) {
    this.policy = policy;
    this.clock = clock;
    this.skew = skew;
  }

  /**
   * The decision ({@code jwt.accept}) about {@code token} for {@code audience}.
   *
   * @param token the compact JWT (without {@code Bearer}); null or empty when none was sent
   * @param local the workload's own SPIFFE ID (for the same_trust_domain default); null before
   *     its first X.509-SVID
   * @param resource where the request came from ({@code host:port}), or null
   */
  public PeerDecision validate(String token, String audience, JwtBundles bundles, SpiffeId local,
      String resource) {
    PeerDecision.Builder decision = PeerDecision.builder(Direction.INBOUND,
        PeerDecision.Outcome.DENIED).action("jwt.accept").audience(audience)
        .local(local == null ? null : local.toString()).peerAddress(resource);
    if (token == null || token.isEmpty()) {
      return deny(decision, Reason.MISSING_TOKEN, "no JWT-SVID: the request has no Authorization:"
          + " Bearer header; send a JWT-SVID for audience \"" + audience + "\"");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return deny(decision, Reason.MALFORMED, "the bearer token is not a signed JWT ("
          + e.getMessage() + ")");
    }
    JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
    if (!ALLOWED_ALGORITHMS.contains(algorithm)) {
      return deny(decision, Reason.UNSUPPORTED_ALGORITHM, "JWT-SVID signed with algorithm "
          + algorithm + "; JWT-SVIDs use RS, ES or PS 256/384/512");
    }
    JOSEObjectType type = jwt.getHeader().getType();
    if (type != null && !type.getType().equals("JWT") && !type.getType().equals("JOSE")) {
      return deny(decision, Reason.MALFORMED, "JWT-SVID header typ is \"" + type.getType()
          + "\"; a JWT-SVID's typ is JWT or JOSE");
    }
    SpiffeId subject;
    try {
      String sub = claims.getSubject();
      if (sub == null) {
        return deny(decision, Reason.SUBJECT_NOT_SPIFFE_ID, "the JWT has no sub claim; a JWT-SVID's"
            + " subject is the sender's SPIFFE ID");
      }
      subject = SpiffeId.parse(sub);
      if (!subject.toString().equals(sub)) {
        // java-spiffe lower-cases the scheme and trust domain; the spec allows lower case only.
        return deny(decision, Reason.SUBJECT_NOT_SPIFFE_ID, "the JWT's sub \"" + sub + "\" is not a"
            + " SPIFFE ID (the scheme and trust domain must be lower case)");
      }
    } catch (RuntimeException e) { // java-spiffe's InvalidSpiffeIdException and friends
      return deny(decision, Reason.SUBJECT_NOT_SPIFFE_ID, "the JWT's sub \"" + claims.getSubject()
          + "\" is not a SPIFFE ID (" + e.getMessage() + ")");
    }
    decision.claimedSpiffeId(subject.toString());
    String domain = subject.getTrustDomain().getName();
    Optional<Map<String, PublicKey>> keys = bundles.forTrustDomain(domain);
    if (!keys.isPresent()) {
      return deny(decision, Reason.UNKNOWN_TRUST_DOMAIN, "JWT-SVID of " + subject
          + " (unverified) is from trust domain " + domain + ", for which there is no JWT bundle"
          + " (known: " + (bundles.asMap().isEmpty() ? "none" : String.join(", ",
          bundles.asMap().keySet())) + ")");
    }
    String keyId = jwt.getHeader().getKeyID();
    PublicKey key = keyId == null ? null : keys.get().get(keyId);
    if (key == null) {
      return deny(decision, Reason.UNKNOWN_KEY, "JWT-SVID of " + subject + " (unverified) is signed"
          + " with key ID " + (keyId == null ? "(none)" : "\"" + keyId + "\"") + ", which is not"
          + " in the JWT bundle of " + domain);
    }
    try {
      JWSVerifier verifier = new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(), key);
      if (!jwt.verify(verifier)) {
        return deny(decision, Reason.BAD_SIGNATURE, "JWT-SVID of " + subject + " (unverified): the"
            + " signature does not verify with key \"" + keyId + "\" of " + domain);
      }
    } catch (JOSEException | RuntimeException e) {
      return deny(decision, Reason.BAD_SIGNATURE, "JWT-SVID of " + subject + " (unverified): the"
          + " signature cannot be verified with key \"" + keyId + "\" of " + domain + " ("
          + e.getMessage() + ")");
    }
    decision.peerSpiffeId(subject.toString());
    List<String> audiences = claims.getAudience();
    if (audiences == null || !audiences.contains(audience)) {
      return deny(decision, Reason.WRONG_AUDIENCE, "JWT-SVID of " + subject + " is for audience "
          + audiences + ", not \"" + audience + "\"");
    }
    Instant now = clock.instant();
    Date expiry = claims.getExpirationTime();
    if (expiry == null) {
      return deny(decision, Reason.EXPIRED, "JWT-SVID of " + subject + " has no exp claim;"
          + " JWT-SVIDs must expire");
    }
    if (!now.isBefore(expiry.toInstant().plus(skew))) {
      return deny(decision, Reason.EXPIRED, "JWT-SVID of " + subject + " expired at "
          + expiry.toInstant() + " (now " + now + ", clock skew allowed "
          + Durations.format(skew) + ")");
    }
    Date notBefore = claims.getNotBeforeTime();
    if (notBefore != null && now.plus(skew).isBefore(notBefore.toInstant())) {
      return deny(decision, Reason.NOT_YET_VALID, "JWT-SVID of " + subject + " is not valid before "
          + notBefore.toInstant() + " (now " + now + ")");
    }
    if (local == null) {
      return deny(decision, Reason.NO_LOCAL_SVID, "JWT-SVID of " + subject + " cannot be authorized:"
          + " this workload has no X.509-SVID yet, so its trust domain is unknown");
    }
    PeerDecision policyDecision = policy.authorize(local, subject, Direction.INBOUND);
    return policyDecision.toBuilder().action("jwt.accept").audience(audience)
        .peerAddress(resource).peerNotAfter(expiry.toInstant())
        .reason("JWT-SVID: " + policyDecision.reason()).build();
  }

  private static PeerDecision deny(PeerDecision.Builder decision, Reason rule, String reason) {
    return decision.outcome(PeerDecision.Outcome.DENIED).rule(rule).reason(reason).build();
  }
}
