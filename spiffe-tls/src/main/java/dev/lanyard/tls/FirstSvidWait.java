package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.Durations;
import dev.lanyard.config.StartupPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The bounded wait for the first X.509-SVID, shared by the key and trust managers. The javaagent
 * starts the source on a background thread so JVM start-up is not delayed; the first handshake
 * waits here instead, but never past the startup policy's deadline (counted from construction,
 * i.e. from when the source started). After the deadline a handshake without an SVID fails at
 * once with a message naming Lanyard, the socket and the last error.
 */
public final class FirstSvidWait {
  private final SvidSource source;
  private final StartupPolicy policy;
  private final Clock clock;
  private final long deadlineNanos;

  public FirstSvidWait(SvidSource source, StartupPolicy policy) {
    this(source, policy, Clock.systemUTC());
  }

  public FirstSvidWait(SvidSource source, StartupPolicy policy, Clock clock) {
    this.source = source;
    this.policy = policy;
    this.clock = clock;
    this.deadlineNanos = System.nanoTime() + policy.waitFor().toNanos();
  }

  /** The current SVID, waiting for the first one until the deadline. */
  public Identity identity() {
    Optional<Identity> identity = source.current();
    if (identity.isPresent()) {
      return identity.get();
    }
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining > 0) {
      try {
        source.awaitFirst(Duration.ofNanos(remaining));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return source.current().orElseThrow(() -> new NoSvidException(noSvidMessage()));
  }

  /**
   * The SVID to present in a handshake: {@link #identity()}, but never one outside its validity
   * (expired while the SPIRE Agent was away, or not yet valid). Fail closed: a peer that checks
   * nothing must not get a handshake with it either.
   *
   * @throws NoSvidException when there is no SVID or it is not valid now
   */
  public Identity presentable() {
    Identity identity = identity();
    Instant now = clock.instant();
    if (!identity.isValidAt(now) || !now.plus(LAST_SECOND).isBefore(identity.notAfter())) {
      throw new NoSvidException(notValidMessage(identity, now));
    }
    return identity;
  }

  /**
   * An SVID is not presented in its last second either: JSSE session timeouts are whole seconds
   * (at least one), so a session made then could be resumed after {@code notAfter}.
   */
  static final Duration LAST_SECOND = Duration.ofSeconds(1);

  /** {@code lanyard: X.509-SVID <id> (serial ..) expired at <t>; not presenting it ...}. */
  String notValidMessage(Identity identity, Instant now) {
    String when = now.isBefore(identity.notBefore())
        ? "is not valid before " + identity.notBefore()
        : now.isBefore(identity.notAfter())
            ? "expires at " + identity.notAfter() + ", in less than " + Durations.format(LAST_SECOND)
            : "expired at " + identity.notAfter();
    return "lanyard: X.509-SVID " + identity.spiffeId() + " (serial " + identity.serialHex() + ") "
        + when + "; not presenting it. The SPIRE Workload API at " + source.address()
        + " has not renewed it" + source.lastError().map(error -> " (last error: " + error + ")")
            .orElse("");
  }

  /** Whether an SVID is held now (no waiting). */
  public Optional<Identity> now() {
    return source.current();
  }

  /** {@code lanyard: no X.509-SVID from the SPIRE Workload API at <socket> after 30s ...}. */
  public String noSvidMessage() {
    return "lanyard: no X.509-SVID from the SPIRE Workload API at " + source.address()
        + " after " + Durations.format(policy.waitFor()) + " (" + ConfigKeys.STARTUP.env() + "="
        + policy + ")" + source.lastError().map(error -> "; last error: " + error).orElse("")
        + ". Check that the SPIRE Agent socket is mounted there and that a registration entry"
        + " matches this workload";
  }
}
