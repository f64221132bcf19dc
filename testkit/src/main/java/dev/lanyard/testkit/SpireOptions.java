package dev.lanyard.testkit;

import java.time.Duration;

/**
 * How a test SPIRE deployment is set up. Short default SVID TTL so that rotation happens within
 * a test; the SPIRE Agent renews an SVID at half its lifetime.
 */
public record SpireOptions(String trustDomain, Duration svidTtl, Duration jwtTtl, Duration caTtl) {

  public static Builder builder() {
    return new Builder();
  }

  /** Mutable builder; {@link #build()} gives the immutable options. */
  public static final class Builder {
    private String trustDomain = "lanyard.test";
    private Duration svidTtl = Duration.ofMinutes(5);
    private Duration jwtTtl = Duration.ofMinutes(5);
    private Duration caTtl = Duration.ofHours(24);

    public Builder trustDomain(String trustDomain) {
      this.trustDomain = trustDomain;
      return this;
    }

    /** Default X.509-SVID TTL for entries registered without their own. */
    public Builder svidTtl(Duration svidTtl) {
      this.svidTtl = svidTtl;
      return this;
    }

    public Builder jwtTtl(Duration jwtTtl) {
      this.jwtTtl = jwtTtl;
      return this;
    }

    public Builder caTtl(Duration caTtl) {
      this.caTtl = caTtl;
      return this;
    }

    public SpireOptions build() {
      return new SpireOptions(trustDomain, svidTtl, jwtTtl, caTtl);
    }
  }
}
