package dev.lanyard.tls;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One JWT-SVID from the Workload API for one audience. {@link #toString()} never shows the token
 * (it is a bearer credential): only the subject, audience and lifetime.
 */
public final class JwtSvidToken {
  private final String audience;
  private final String token;
  private final String spiffeId;
  private final Instant issuedAt;
  private final Instant expiry;

  /**
   * @param issuedAt the {@code iat} claim, or when it was fetched when the token has none
   */
  public JwtSvidToken(String audience, String token, String spiffeId, Instant issuedAt,
      Instant expiry) {
    this.audience = Objects.requireNonNull(audience, "audience");
    this.token = Objects.requireNonNull(token, "token");
    this.spiffeId = Objects.requireNonNull(spiffeId, "spiffeId");
    this.issuedAt = Objects.requireNonNull(issuedAt, "issuedAt");
    this.expiry = Objects.requireNonNull(expiry, "expiry");
  }

  public String audience() {
    return audience;
  }

  /** The compact JWT. Only for the {@code Authorization} header: never log it. */
  public String token() {
    return token;
  }

  /** {@code Bearer <token>}: the {@code Authorization} header value. */
  public String bearer() {
    return "Bearer " + token;
  }

  /** The token's subject, the workload's SPIFFE ID. */
  public String spiffeId() {
    return spiffeId;
  }

  public Instant issuedAt() {
    return issuedAt;
  }

  public Instant expiry() {
    return expiry;
  }

  /** Half-way through its life: from then on a fresh token is fetched. */
  public Instant refreshDue() {
    Duration lifetime = Duration.between(issuedAt, expiry);
    return issuedAt.plus(lifetime.isNegative() ? Duration.ZERO : lifetime.dividedBy(2));
  }

  /** Whether it can still be sent at {@code now}, with {@code margin} left for the trip. */
  public boolean usableAt(Instant now, Duration margin) {
    return now.plus(margin).isBefore(expiry);
  }

  @Override
  public String toString() {
    return "JWT-SVID " + spiffeId + " for audience " + audience + " valid until " + expiry;
  }
}
