package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class RecentPeersTest {

  private static PeerDecision decision(Direction direction, String peer, PeerDecision.Outcome outcome) {
    return PeerDecision.builder(direction, outcome).peerSpiffeId(peer).rule(Reason.ALLOWED_PEERS).reason("why " + peer)
        .build();
  }

  @Test
  void countsOutcomesPerPeerAndDirectionMostRecentFirst() {
    RecentPeers peers = new RecentPeers(Clock.systemUTC(), 10);

    peers.onDecision(decision(Direction.OUTBOUND, "spiffe://td/a", PeerDecision.Outcome.ALLOWED));
    peers.onDecision(decision(Direction.OUTBOUND, "spiffe://td/a", PeerDecision.Outcome.ALLOWED));
    peers.onDecision(decision(Direction.INBOUND, "spiffe://td/b", PeerDecision.Outcome.DENIED));
    peers.onDecision(decision(Direction.INBOUND, "spiffe://td/a", PeerDecision.Outcome.WOULD_DENY));

    assertThat(peers.snapshot()).extracting(m -> m.get("peer") + " " + m.get("direction") + " "
            + m.get("allowed") + "/" + m.get("denied") + "/" + m.get("would_deny"))
        .containsExactly("spiffe://td/a inbound 0/0/1", "spiffe://td/b inbound 0/1/0",
            "spiffe://td/a outbound 2/0/0");
  }

  @Test
  void remembersTheLastDenial() {
    RecentPeers peers = new RecentPeers(Clock.systemUTC(), 10);

    peers.onDecision(decision(Direction.INBOUND, "spiffe://td/x", PeerDecision.Outcome.DENIED));
    peers.onDecision(decision(Direction.INBOUND, "spiffe://td/y", PeerDecision.Outcome.DENIED));
    peers.onDecision(decision(Direction.INBOUND, "spiffe://td/z", PeerDecision.Outcome.ALLOWED));

    assertThat(peers.lastDenial()).get().extracting(r -> r.decision().reason())
        .isEqualTo("why spiffe://td/y");
  }

  @Test
  void isBoundedDroppingTheLeastRecentlySeenPeer() {
    RecentPeers peers = new RecentPeers(Clock.systemUTC(), 2);

    peers.onDecision(decision(Direction.OUTBOUND, "spiffe://td/1", PeerDecision.Outcome.ALLOWED));
    peers.onDecision(decision(Direction.OUTBOUND, "spiffe://td/2", PeerDecision.Outcome.ALLOWED));
    peers.onDecision(decision(Direction.OUTBOUND, "spiffe://td/1", PeerDecision.Outcome.ALLOWED));
    peers.onDecision(decision(Direction.OUTBOUND, "spiffe://td/3", PeerDecision.Outcome.ALLOWED));

    assertThat(peers.snapshot()).extracting(m -> m.get("peer"))
        .containsExactly("spiffe://td/3", "spiffe://td/1");
  }
}
