package dev.lanyard.tls;

import java.time.Duration;

/**
 * Lanyard's own reconnect delays for the Workload API stream: 200 ms doubling to a 5 s cap, with
 * no retry limit. java-spiffe's default goes up to 60 s, so a restarted SPIRE Agent could go
 * unnoticed for a minute; with short SVID TTLs that is too long. Not thread-safe: used only on
 * the source's own thread.
 */
final class ReconnectBackoff {
  static final Duration INITIAL = Duration.ofMillis(200);
  static final Duration MAX = Duration.ofSeconds(5);
  /**
   * Until the first SVID: the SPIRE Agent answers "no identity issued" at once while the entry is
   * not yet synced, and the workload (or the sidecar's startup probe) is waiting on us, so we ask
   * again at least this often instead of backing off to 5 s. A local unix-socket call twice a
   * second is cheap.
   */
  static final Duration MAX_BEFORE_FIRST_SVID = Duration.ofMillis(500);

  private final Duration initial;
  private final Duration max;
  private Duration next;

  ReconnectBackoff() {
    this(INITIAL, MAX);
  }

  ReconnectBackoff(Duration initial, Duration max) {
    this.initial = initial;
    this.max = max;
    this.next = initial;
  }

  /**
   * The delay before the next attempt, capped at {@link #MAX_BEFORE_FIRST_SVID} while no SVID
   * was ever received.
   */
  Duration nextDelay(boolean holdsSvid) {
    Duration delay = nextDelay();
    return !holdsSvid && delay.compareTo(MAX_BEFORE_FIRST_SVID) > 0 ? MAX_BEFORE_FIRST_SVID : delay;
  }

  /** The delay before the next attempt; each call doubles the following one, up to the cap. */
  Duration nextDelay() {
    Duration delay = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return delay;
  }

  /** After a successful update: the next failure starts from the initial delay again. */
  void reset() {
    next = initial;
  }
}
