package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakeBudgetTest {
  private static final InetAddress ATTACKER = address("10.0.0.66");
  private static final InetAddress PEER = address("10.0.0.7");

  @Test
  void oneAddressGetsItsShareAndTheNextAddressStillGetsIn() {
    HandshakeBudget budget = new HandshakeBudget("inbound 8443:8080", 10, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(budget.admit(ATTACKER).admitted()).isTrue();
    }

    HandshakeBudget.Admission refused = budget.admit(ATTACKER);
    HandshakeBudget.Admission other = budget.admit(PEER);

    assertThat(refused.admitted()).isFalse();
    assertThat(refused.refusal().code().code()).isEqualTo("handshake_limit_per_source");
    assertThat(refused.refusal().sentence()).startsWith("handshake_limit_per_source: 10.0.0.66"
        + " already has 3 TLS handshakes in progress on inbound 8443:8080"
        + " (LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE=3); a peer with an SVID finishes its"
        + " handshake in milliseconds").contains("raise LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE");
    assertThat(other.admitted()).isTrue();
    assertThat(budget.pending()).isEqualTo(4);
    assertThat(budget.pending(ATTACKER)).isEqualTo(3);
  }

  @Test
  void theWholeBudgetIsCappedAcrossAddresses() {
    HandshakeBudget budget = new HandshakeBudget("inbound 8443:8080", 4, 2);
    for (int i = 0; i < 4; i++) {
      assertThat(budget.admit(address("10.0.1." + (i / 2))).admitted()).isTrue();
    }

    HandshakeBudget.Admission refused = budget.admit(PEER);

    assertThat(refused.admitted()).isFalse();
    assertThat(refused.refusal().code().code()).isEqualTo("handshake_limit");
    assertThat(refused.refusal().sentence()).startsWith("handshake_limit: inbound 8443:8080 already"
        + " has 4 TLS handshakes in progress (LANYARD_MAX_PENDING_HANDSHAKES=4); refused 10.0.0.7");
  }

  @Test
  void aReleasedSlotIsFreeAgainAndReleasingTwiceCountsOnce() {
    HandshakeBudget budget = new HandshakeBudget("inbound 8443:8080", 2, 2);
    List<HandshakeBudget.Slot> slots = new ArrayList<>();
    slots.add(budget.admit(ATTACKER).slot());
    slots.add(budget.admit(ATTACKER).slot());
    assertThat(budget.admit(PEER).admitted()).isFalse();

    slots.get(0).release();
    slots.get(0).release();

    assertThat(budget.pending()).isEqualTo(1);
    assertThat(budget.pending(ATTACKER)).isEqualTo(1);
    HandshakeBudget.Admission peer = budget.admit(PEER);
    assertThat(peer.admitted()).isTrue();
    peer.slot().release();
    slots.get(1).release();
    assertThat(budget.pending()).isZero();
    assertThat(budget.pending(ATTACKER)).isZero();
  }

  static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
