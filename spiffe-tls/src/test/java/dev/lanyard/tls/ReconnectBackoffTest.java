package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

  @Test
  void doublesFrom200msUpToA5sCapWithoutGivingUp() {
    ReconnectBackoff backoff = new ReconnectBackoff();
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      delays.add(backoff.nextDelay().toMillis());
    }

    assertThat(delays).containsExactly(200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L, 5000L, 5000L);
  }

  @Test
  void startsOverAfterASuccess() {
    ReconnectBackoff backoff = new ReconnectBackoff();
    backoff.nextDelay();
    backoff.nextDelay();

    backoff.reset();

    assertThat(backoff.nextDelay()).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void neverWaitsMoreThanHalfASecondBeforeTheFirstSvid() {
    ReconnectBackoff backoff = new ReconnectBackoff();
    List<Long> waiting = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      waiting.add(backoff.nextDelay(false).toMillis());
    }
    backoff.reset();
    List<Long> holding = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      holding.add(backoff.nextDelay(true).toMillis());
    }

    assertThat(waiting).containsExactly(200L, 400L, 500L, 500L, 500L, 500L);
    assertThat(holding).containsExactly(200L, 400L, 800L, 1600L, 3200L, 5000L);
  }
}
