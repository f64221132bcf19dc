package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class JwtSvidCacheTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration TTL = Duration.ofMinutes(10);
  private static final Executor DIRECT = Runnable::run;

  private final MutableClock clock = new MutableClock(T0);
  private final AtomicInteger fetches = new AtomicInteger();

  private JwtSvidToken issue(String audience) {
    int n = fetches.incrementAndGet();
    return new JwtSvidToken(audience, "token-" + n, "spiffe://td/ns/a/sa/b", clock.instant(),
        clock.instant().plus(TTL));
  }

  @Test
  void oneTokenPerAudienceIsReusedUntilHalfItsLifetime() throws Exception {
    JwtSvidCache cache = new JwtSvidCache(this::issue, DIRECT, clock);

    JwtSvidToken first = cache.get("api", Duration.ofSeconds(1));
    clock.advance(TTL.dividedBy(2).minusSeconds(1));
    JwtSvidToken again = cache.get("api", Duration.ofSeconds(1));
    JwtSvidToken other = cache.get("db", Duration.ofSeconds(1));

    assertThat(again).isSameAs(first);
    assertThat(other.audience()).isEqualTo("db");
    assertThat(fetches).hasValue(2);
  }

  @Test
  void pastHalfItsLifetimeAFreshTokenIsFetched() throws Exception {
    JwtSvidCache cache = new JwtSvidCache(this::issue, DIRECT, clock);
    JwtSvidToken first = cache.get("api", Duration.ofSeconds(1));

    clock.advance(TTL.dividedBy(2).plusSeconds(1));
    cache.get("api", Duration.ofSeconds(1));

    assertThat(cache.cached("api").token()).isEqualTo("token-2");
    assertThat(cache.cached("api")).isNotSameAs(first);
  }

  @Test
  void aStillValidTokenIsReturnedWhileTheRefreshRunsInTheBackground() throws Exception {
    List<Runnable> queued = new java.util.concurrent.CopyOnWriteArrayList<>();
    JwtSvidCache cache = new JwtSvidCache(this::issue, queued::add, clock);
    queued.clear();
    // first fetch: run it by hand
    Thread caller = new Thread(() -> {
      try {
        cache.get("api", Duration.ofSeconds(5));
      } catch (JwtSvidUnavailableException e) {
        throw new AssertionError(e);
      }
    });
    caller.start();
    awaitQueued(queued, 1);
    queued.remove(0).run();
    caller.join();

    clock.advance(TTL.dividedBy(2).plusSeconds(1));
    JwtSvidToken during = cache.get("api", Duration.ZERO);

    assertThat(during.token()).isEqualTo("token-1");
    assertThat(queued).hasSize(1);
    cache.get("api", Duration.ZERO);
    assertThat(queued).as("one refresh at a time per audience").hasSize(1);
    queued.remove(0).run();
    assertThat(cache.get("api", Duration.ZERO).token()).isEqualTo("token-2");
  }

  @Test
  void withoutAUsableTokenTheWaitIsBoundedAndTheErrorNamesTheAudience() {
    Executor never = task -> {};
    JwtSvidCache cache = new JwtSvidCache(this::issue, never, Clock.systemUTC());

    long start = System.nanoTime();
    assertThatThrownBy(() -> cache.get("api", Duration.ofMillis(200)))
        .isInstanceOf(JwtSvidUnavailableException.class)
        .hasMessage("lanyard: no JWT-SVID for audience \"api\": no answer within 200ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void aFailedFetchIsReportedAndNotRetriedAtOnce() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    JwtSvidCache cache = new JwtSvidCache(audience -> {
      attempts.incrementAndGet();
      throw new IllegalStateException("PERMISSION_DENIED: no identity issued");
    }, DIRECT, clock);

    assertThatThrownBy(() -> cache.get("api", Duration.ofSeconds(1)))
        .hasMessageContaining("no identity issued");
    assertThatThrownBy(() -> cache.get("api", Duration.ofSeconds(1)))
        .hasMessageContaining("failed moments ago").hasMessageContaining("no identity issued");
    assertThat(attempts).hasValue(1);
    clock.advance(JwtSvidCache.RETRY_SPACING);
    assertThatThrownBy(() -> cache.get("api", Duration.ofSeconds(1)));
    assertThat(attempts).hasValue(2);
  }

  @Test
  void whenTheAgentHandsBackItsOldTokenTheNextRequestWithoutAUsableOneFetchesAtOnce()
      throws Exception {
    JwtSvidToken old = issue("api");
    AtomicInteger calls = new AtomicInteger();
    JwtSvidCache cache = new JwtSvidCache(audience -> calls.incrementAndGet() < 3 ? old
        : issue(audience), DIRECT, clock);
    cache.get("api", Duration.ofSeconds(1));

    clock.advance(TTL.minus(JwtSvidCache.SEND_MARGIN).minusMillis(100));
    assertThat(cache.get("api", Duration.ofSeconds(1))).isSameAs(old); // background, same token
    clock.advance(Duration.ofMillis(200)); // now unusable, 200 ms after the last fetch

    assertThat(cache.get("api", Duration.ofSeconds(1)).token()).isEqualTo("token-2");
    assertThat(calls).hasValue(3);
  }

  @Test
  void anExpiredTokenIsNeverReturned() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    JwtSvidCache cache = new JwtSvidCache(audience -> {
      if (calls.incrementAndGet() > 1) {
        throw new IllegalStateException("UNAVAILABLE: io exception");
      }
      return issue(audience);
    }, DIRECT, clock);
    cache.get("api", Duration.ofSeconds(1));

    clock.advance(TTL.minus(JwtSvidCache.SEND_MARGIN));

    assertThatThrownBy(() -> cache.get("api", Duration.ofSeconds(1)))
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void theTokenIsNeverInItsDescription() {
    JwtSvidToken token = issue("api");
    assertThat(token.toString()).doesNotContain(token.token()).contains("spiffe://td/ns/a/sa/b");
    assertThat(token.bearer()).isEqualTo("Bearer token-1");
  }

  private static void awaitQueued(List<Runnable> queued, int size) throws InterruptedException {
    for (int i = 0; i < 500 && queued.size() < size; i++) {
      Thread.sleep(10);
    }
    assertThat(queued).hasSize(size);
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
