package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The connections of one mesh port that are still in their TLS handshake: at most {@code max}
 * in all and {@code maxPerSource} from one source address. Anyone who can reach the port can
 * open such connections without an SVID, so they get their own, smaller budget, apart from the
 * connections of authorized peers ({@link AuthorizedConnections}), and one address cannot take
 * all of it: a peer with an SVID finishes its handshake in milliseconds and always finds room
 * unless many addresses attack at once.
 */
final class HandshakeBudget {
  /** Why a connection was refused: a metric label and a sentence for the log. */
  record Refusal(Reason code, String sentence) {}

  /** A connection's place in the budget; released once, when its handshake ends or it closes. */
  final class Slot {
    private final InetAddress source;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(InetAddress source) {
      this.source = source;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        HandshakeBudget.this.release(source);
      }
    }
  }

  /** Exactly one of the two is set. */
  record Admission(Slot slot, Refusal refusal) {
    boolean admitted() {
      return slot != null;
    }
  }

  private final String listener;
  private final int max;
  private final int maxPerSource;
  private final Map<InetAddress, Integer> perSource = new HashMap<>();
  private int pending;

  HandshakeBudget(String listener, int max, int maxPerSource) {
    this.listener = listener;
    this.max = max;
    this.maxPerSource = maxPerSource;
  }

  /** The per-source check comes first: it names the address that is over its share. */
  synchronized Admission admit(InetAddress source) {
    int fromSource = perSource.getOrDefault(source, 0);
    if (fromSource >= maxPerSource) {
      return new Admission(null, new Refusal(Reason.HANDSHAKE_LIMIT_PER_SOURCE,
          "handshake_limit_per_source: " + source.getHostAddress() + " already has "
          + maxPerSource + " TLS handshakes in progress on " + listener + " ("
          + SidecarConfig.MAX_PENDING_HANDSHAKES_PER_SOURCE + "=" + maxPerSource
          + "); a peer with an SVID finishes its handshake in milliseconds, so this address is"
          + " holding connections open without completing them; raise "
          + SidecarConfig.MAX_PENDING_HANDSHAKES_PER_SOURCE + " only if one address really"
          + " opens that many connections at once"));
    }
    if (pending >= max) {
      return new Admission(null, new Refusal(Reason.HANDSHAKE_LIMIT,
          "handshake_limit: " + listener + " already has " + max + " TLS handshakes in progress ("
          + SidecarConfig.MAX_PENDING_HANDSHAKES + "=" + max + "); refused "
          + source.getHostAddress() + "; many addresses are holding connections open without"
          + " completing a handshake, or the sidecar is too slow to finish them (see"
          + " lanyard_sidecar_handshakes_pending)"));
    }
    pending++;
    perSource.put(source, fromSource + 1);
    return new Admission(new Slot(source), null);
  }

  private synchronized void release(InetAddress source) {
    pending--;
    // Entries live only while their address has a handshake in progress: the map stays bounded.
    perSource.computeIfPresent(source, (address, count) -> count > 1 ? count - 1 : null);
  }

  synchronized int pending() {
    return pending;
  }

  synchronized int pending(InetAddress source) {
    return perSource.getOrDefault(source, 0);
  }

  String listener() {
    return listener;
  }
}
