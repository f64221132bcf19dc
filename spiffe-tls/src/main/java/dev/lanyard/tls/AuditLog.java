package dev.lanyard.tls;

import dev.lanyard.config.AuditMode;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Turns decisions into {@link AuditRecord}s: every record goes into a bounded ring buffer (for the
 * admin {@code /audit} endpoint); those selected by {@code LANYARD_AUDIT} are also written to
 * stderr as one JSON line each.
 */
public final class AuditLog implements DecisionListener {
  public static final int DEFAULT_CAPACITY = 512;

  private final AuditMode mode;
  private final Attestation attestation;
  private final PrintStream out;
  private final Clock clock;
  private final int capacity;
  private final Deque<AuditRecord> recent = new ArrayDeque<>();

  public AuditLog(AuditMode mode, Attestation attestation, PrintStream out, Clock clock, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("audit ring buffer capacity must be at least 1");
    }
    this.mode = mode;
    this.attestation = attestation;
    this.out = out;
    this.clock = clock;
    this.capacity = capacity;
  }

  @Override
  public void onDecision(PeerDecision decision) {
    AuditRecord record = new AuditRecord(clock.instant(), decision, attestation);
    synchronized (recent) {
      if (recent.size() == capacity) {
        recent.removeFirst();
      }
      recent.addLast(record);
    }
    if (writes(mode, decision.outcome())) {
      out.println(record.toJson());
    }
  }

  /** Whether {@code mode} writes a decision with this outcome to stderr. */
  static boolean writes(AuditMode mode, PeerDecision.Outcome outcome) {
    switch (mode) {
      case ALL:
        return true;
      case DENY:
        return outcome != PeerDecision.Outcome.ALLOWED;
      default:
        return false;
    }
  }

  /** The newest {@code limit} records, oldest first. */
  public List<AuditRecord> recent(int limit) {
    synchronized (recent) {
      List<AuditRecord> all = new ArrayList<>(recent);
      return new ArrayList<>(all.subList(Math.max(0, all.size() - limit), all.size()));
    }
  }

  public int capacity() {
    return capacity;
  }
}
