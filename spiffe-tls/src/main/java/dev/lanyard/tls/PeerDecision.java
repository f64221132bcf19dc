package dev.lanyard.tls;

import dev.lanyard.reasons.Reason;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One authorization decision about a TLS peer, as data: who (local and peer), which way, the
 * outcome, the rule that decided and a sentence saying why. Immutable; listeners turn it into
 * metrics, audit records and the admin endpoint's "recent peers".
 */
public final class PeerDecision {
  /** The result; {@link #label()} is the metric label and the audit record's {@code result}. */
  public enum Outcome {
    ALLOWED("allowed"),
    DENIED("denied"),
    /** The policy would deny, but it is in audit mode: the connection is allowed and logged. */
    WOULD_DENY("would_deny");

    private final String label;

    Outcome(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final Direction direction;
  private final String localSpiffeId;
  private final String peerSpiffeId;
  private final boolean peerIdVerified;
  private final String peerSubject;
  private final Outcome outcome;
  private final String rule;
  private final String matched;
  private final String reason;
  private final String peerAddress;
  private final Instant peerNotAfter;
  private final String peerSerial;
  private final String action;
  private final String audience;

  private PeerDecision(Builder b) {
    this.direction = Objects.requireNonNull(b.direction, "direction");
    this.localSpiffeId = b.localSpiffeId;
    this.peerSpiffeId = b.peerSpiffeId;
    this.peerIdVerified = b.peerIdVerified;
    this.peerSubject = b.peerSubject;
    this.outcome = Objects.requireNonNull(b.outcome, "outcome");
    this.rule = Objects.requireNonNull(b.rule, "rule");
    this.matched = b.matched;
    this.reason = Objects.requireNonNull(b.reason, "reason");
    this.peerAddress = b.peerAddress;
    this.peerNotAfter = b.peerNotAfter;
    this.peerSerial = b.peerSerial;
    this.action = b.action == null ? direction.auditAction() : b.action;
    this.audience = b.audience;
  }

  static Builder builder(Direction direction, Outcome outcome) {
    Builder builder = new Builder();
    builder.direction = direction;
    builder.outcome = outcome;
    return builder;
  }

  Builder toBuilder() {
    Builder b = new Builder();
    b.direction = direction;
    b.localSpiffeId = localSpiffeId;
    b.peerSpiffeId = peerSpiffeId;
    b.peerIdVerified = peerIdVerified;
    b.peerSubject = peerSubject;
    b.outcome = outcome;
    b.rule = rule;
    b.matched = matched;
    b.reason = reason;
    b.peerAddress = peerAddress;
    b.peerNotAfter = peerNotAfter;
    b.peerSerial = peerSerial;
    b.action = action;
    b.audience = audience;
    return b;
  }

  /**
   * The audit record's {@code action}: {@code tls.accept} or {@code tls.connect} for handshakes
   * (from the direction), {@code jwt.send} or {@code jwt.accept} for JWT-SVIDs.
   */
  public String action() {
    return action;
  }

  /** Whether this decision is about a TLS handshake (not a JWT-SVID or an HTTP request). */
  public boolean isTls() {
    return action.startsWith("tls.");
  }

  /** The JWT-SVID audience the decision is about; empty for TLS decisions. */
  public Optional<String> audience() {
    return Optional.ofNullable(audience);
  }

  /** True unless the outcome is {@link Outcome#DENIED} (audit mode's would-deny is allowed). */
  public boolean allowed() {
    return outcome != Outcome.DENIED;
  }

  public Outcome outcome() {
    return outcome;
  }

  public Direction direction() {
    return direction;
  }

  /** The workload's own SPIFFE ID; empty before the first X.509-SVID. */
  public Optional<String> localSpiffeId() {
    return Optional.ofNullable(localSpiffeId);
  }

  /**
   * The peer's SPIFFE ID; empty for a peer that presented no SPIFFE ID. When {@link
   * #peerIdVerified()} is false it is only what an invalid certificate claimed.
   */
  public Optional<String> peerSpiffeId() {
    return Optional.ofNullable(peerSpiffeId);
  }

  /**
   * Whether {@link #peerSpiffeId()} comes from a verified X.509-SVID. Unverified claims are
   * attacker-chosen: never use them as metric labels.
   */
  public boolean peerIdVerified() {
    return peerSpiffeId != null && peerIdVerified;
  }

  /** The subject of a peer certificate without a SPIFFE ID; empty otherwise. */
  public Optional<String> peerSubject() {
    return Optional.ofNullable(peerSubject);
  }

  /** How messages name the peer: its SPIFFE ID, else its certificate subject. */
  public String peer() {
    if (peerSpiffeId != null) {
      return peerIdVerified ? peerSpiffeId : peerSpiffeId + " (unverified)";
    }
    return peerSubject == null ? "(no certificate)" : "\"" + peerSubject + "\"";
  }

  /**
   * The rule that decided: a {@link Reason} code (e.g. {@code same_trust_domain}, {@code
   * allowed_peers}) or, for a certificate that is no valid X.509-SVID, the {@link
   * InvalidSvidException.Reason} code ({@code expired}, {@code unknown_trust_domain}, ...): snake_case,
   * stable, safe as a metric label.
   */
  public String rule() {
    return rule;
  }

  /**
   * What the rule matched, when it is a list of entries: the {@code LANYARD_ALLOWED_PEERS} pattern
   * that allowed the peer, the {@code LANYARD_JWT_AUDIENCES} host glob, the {@code
   * LANYARD_SERVER_IDS} host glob; empty otherwise.
   */
  public Optional<String> matched() {
    return Optional.ofNullable(matched);
  }

  /** A sentence naming the peer and the rule. */
  public String reason() {
    return reason;
  }

  /** {@code host:port} of the peer when the TLS stack told us; empty otherwise. */
  public Optional<String> peerAddress() {
    return Optional.ofNullable(peerAddress);
  }

  /** When the peer's verified certificate expires; empty when it was not verified. */
  public Optional<Instant> peerNotAfter() {
    return Optional.ofNullable(peerNotAfter);
  }

  /** The peer leaf's serial number (hex): which SVID it presented, never the certificate itself. */
  public Optional<String> peerSerial() {
    return Optional.ofNullable(peerSerial);
  }

  /**
   * The message of the exception that refuses this peer: starts with {@code lanyard:}, names the
   * direction, the peer, the local SPIFFE ID and the reason.
   */
  public String refusalMessage() {
    if (!isTls()) {
      return "lanyard: refused " + action + " " + (direction == Direction.OUTBOUND ? "to " : "from ")
          + (peerSpiffeId == null && peerAddress != null ? peerAddress : "peer " + peer()
          + (peerAddress == null ? "" : " at " + peerAddress))
          + (audience == null ? "" : " (audience " + audience + ")") + ": " + reason;
    }
    return "lanyard: refused " + direction.label() + " TLS "
        + (direction == Direction.OUTBOUND ? "to" : "from") + " peer " + peer()
        + (peerAddress == null ? "" : " at " + peerAddress)
        + " (local " + (localSpiffeId == null ? "has no X.509-SVID yet" : localSpiffeId) + "): "
        + reason;
  }

  @Override
  public String toString() {
    return outcome.label() + " " + direction.label() + " peer " + peer() + ": " + reason;
  }

  /** Assembles a decision; only {@code dev.lanyard.tls} makes decisions. */
  static final class Builder {
    private Direction direction;
    private String localSpiffeId;
    private String peerSpiffeId;
    private boolean peerIdVerified;
    private String peerSubject;
    private Outcome outcome;
    private String rule;
    private String matched;
    private String reason;
    private String peerAddress;
    private Instant peerNotAfter;
    private String peerSerial;
    private String action;
    private String audience;

    Builder local(String value) {
      this.localSpiffeId = value;
      return this;
    }

    /** The peer's SPIFFE ID, taken from a verified X.509-SVID. */
    Builder peerSpiffeId(String value) {
      this.peerSpiffeId = value;
      this.peerIdVerified = true;
      return this;
    }

    /** The SPIFFE ID a certificate claims before (or without) verification. */
    Builder claimedSpiffeId(String value) {
      this.peerSpiffeId = value;
      this.peerIdVerified = false;
      return this;
    }

    Builder peerSubject(String value) {
      this.peerSubject = value;
      return this;
    }

    Builder outcome(Outcome value) {
      this.outcome = value;
      return this;
    }

    Builder rule(Reason value) {
      this.rule = value.code();
      return this;
    }

    /** An X.509-SVID rule that refused the certificate. */
    Builder rule(InvalidSvidException.Reason value) {
      this.rule = value.code();
      return this;
    }

    Builder matched(String value) {
      this.matched = value;
      return this;
    }

    Builder reason(String value) {
      this.reason = value;
      return this;
    }

    Builder peerAddress(String value) {
      this.peerAddress = value;
      return this;
    }

    Builder peerNotAfter(Instant value) {
      this.peerNotAfter = value;
      return this;
    }

    Builder peerSerial(String value) {
      this.peerSerial = value;
      return this;
    }

    /** Overrides the action derived from the direction (JWT-SVID decisions). */
    Builder action(String value) {
      this.action = value;
      return this;
    }

    Builder audience(String value) {
      this.audience = value;
      return this;
    }

    PeerDecision build() {
      return new PeerDecision(this);
    }
  }
}
