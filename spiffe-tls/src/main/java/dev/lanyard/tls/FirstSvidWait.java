package dev.lanyard.tls;

import java.time.Duration;
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
  private final long deadlineNanos;

  public FirstSvidWait(SvidSource source, StartupPolicy policy) {
    this.source = source;
    this.policy = policy;
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
