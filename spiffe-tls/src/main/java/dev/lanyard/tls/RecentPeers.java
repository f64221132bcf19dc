package dev.lanyard.tls;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The peers seen lately, with counts per outcome, and the last denial: what the admin {@code
 * /identity} endpoint reports. Bounded: the least recently seen peer is dropped first.
 */
public final class RecentPeers implements DecisionListener {
  public static final int DEFAULT_CAPACITY = 128;

  private final Clock clock;
  private final int capacity;
  private final LinkedHashMap<String, PeerStats> peers;
  private AuditRecord lastDenial;

  public RecentPeers(Clock clock, int capacity) {
    this.clock = clock;
    this.capacity = capacity;
    this.peers = new LinkedHashMap<String, PeerStats>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, PeerStats> eldest) {
        return size() > RecentPeers.this.capacity;
      }
    };
  }

  @Override
  public synchronized void onDecision(PeerDecision decision) {
    Instant now = clock.instant();
    String key = decision.direction().label() + " " + decision.peer();
    PeerStats stats = peers.get(key);
    if (stats == null) {
      stats = new PeerStats(decision.peer(), decision.direction());
      peers.put(key, stats);
    }
    stats.count(decision.outcome(), now);
    if (decision.outcome() == PeerDecision.Outcome.DENIED) {
      lastDenial = new AuditRecord(now, decision, Attestation.NONE);
    }
  }

  /** Most recently seen first. */
  public synchronized List<Map<String, Object>> snapshot() {
    List<Map<String, Object>> list = new ArrayList<>();
    for (PeerStats stats : peers.values()) {
      list.add(0, stats.toMap());
    }
    return list;
  }

  public synchronized Optional<AuditRecord> lastDenial() {
    return Optional.ofNullable(lastDenial);
  }

  /** Counts for one peer in one direction. */
  private static final class PeerStats {
    final String peer;
    final Direction direction;
    long allowed;
    long denied;
    long wouldDeny;
    Instant lastSeen;
    PeerDecision.Outcome lastOutcome;

    PeerStats(String peer, Direction direction) {
      this.peer = peer;
      this.direction = direction;
    }

    void count(PeerDecision.Outcome outcome, Instant now) {
      switch (outcome) {
        case ALLOWED:
          allowed++;
          break;
        case DENIED:
          denied++;
          break;
        default:
          wouldDeny++;
      }
      lastSeen = now;
      lastOutcome = outcome;
    }

    Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("peer", peer);
      map.put("direction", direction.label());
      map.put("allowed", allowed);
      map.put("denied", denied);
      map.put("would_deny", wouldDeny);
      map.put("last_seen", lastSeen.toString());
      map.put("last_result", lastOutcome.label());
      return map;
    }
  }
}
