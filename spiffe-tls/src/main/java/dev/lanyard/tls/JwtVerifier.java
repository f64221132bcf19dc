package dev.lanyard.tls;

import dev.lanyard.reasons.Reason;
import io.spiffe.spiffeid.SpiffeId;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The inbound rule for JWT-SVIDs (the sidecar's {@code LANYARD_INBOUND_JWT_AUDIENCE}): checks a
 * request's {@code Authorization} header with {@link JwtValidator} against the Workload API's JWT
 * bundles, refreshing them once when the token names a key or trust domain not yet known (a
 * rotated JWT key), and writes one {@code jwt.accept} audit record per request.
 */
public final class JwtVerifier {
  /** The longest a request waits for JWT bundles (only when none are held or a key is new). */
  public static final Duration BUNDLE_WAIT = Duration.ofSeconds(5);

  private final String audience;
  private final JwtSvidSource source;
  private final JwtValidator validator;
  private final SvidSource svids;
  private final DecisionListener audit;

  public JwtVerifier(String audience, JwtSvidSource source, JwtValidator validator,
      SvidSource svids, DecisionListener audit) {
    this.audience = audience;
    this.source = source;
    this.validator = validator;
    this.svids = svids;
    this.audit = audit;
  }

  /** The audience tokens must be for. */
  public String audience() {
    return audience;
  }

  /**
   * The decision about one request. {@link PeerDecision#allowed()} false means answer 401 with
   * {@link PeerDecision#reason()}; when allowed, {@link #subject(PeerDecision)} is the verified ID.
   *
   * @param authorization the request's Authorization header value, or null
   * @param resource where the request came from ({@code host:port}), or null
   */
  public PeerDecision verify(String authorization, String resource) {
    String token = bearerToken(authorization);
    SpiffeId local = svids.current().map(Identity::spiffeId).orElse(null);
    PeerDecision decision = validator.validate(token, audience,
        source.bundles(false, BUNDLE_WAIT), local, resource);
    if (!decision.allowed() && (decision.rule().equals(Reason.UNKNOWN_KEY.code())
        || decision.rule().equals(Reason.UNKNOWN_TRUST_DOMAIN.code()))) {
      decision = validator.validate(token, audience, source.bundles(true, BUNDLE_WAIT), local,
          resource);
    }
    try {
      audit.onDecision(decision);
    } catch (RuntimeException e) {
      LanyardLog.debug("audit of a JWT-SVID decision failed: " + e);
    }
    return decision;
  }

  /** The verified subject of an allowed decision; empty otherwise. */
  public static Optional<String> subject(PeerDecision decision) {
    return decision.allowed() && decision.peerIdVerified() ? decision.peerSpiffeId()
        : Optional.<String>empty();
  }

  /** The token of {@code Bearer <token>} (scheme case-insensitive); null when there is none. */
  static String bearerToken(String authorization) {
    if (authorization == null) {
      return null;
    }
    String value = authorization.trim();
    if (value.length() < 7 || !value.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return null;
    }
    String token = value.substring(7).trim();
    return token.isEmpty() ? null : token;
  }
}
