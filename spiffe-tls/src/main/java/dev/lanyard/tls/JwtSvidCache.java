package dev.lanyard.tls;

import dev.lanyard.config.Durations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One cached JWT-SVID per audience. Pure logic over a {@link Fetcher} and a clock, so it is tested
 * without SPIRE.
 *
 * <ul>
 *   <li>Before half its lifetime a cached token is returned as is (no Workload API call).
 *   <li>After half its lifetime one refresh is started in the background (one at a time per
 *       audience) and the cached token is still returned while it has at least {@link
 *       #SEND_MARGIN} left: a request never waits for a refresh it does not need.
 *   <li>Without a usable token the caller waits for the fetch, but never longer than its {@code
 *       maxWait}; then {@link JwtSvidUnavailableException} names the audience and the last error.
 *   <li>After a fetch the next one waits {@link #RETRY_SPACING}, so neither a broken Workload API
 *       nor a SPIRE Agent that hands back its own cached token is asked once per request.
 * </ul>
 */
public final class JwtSvidCache {
  /** A token with less than this left is not sent: it could expire on the way. */
  static final Duration SEND_MARGIN = Duration.ofSeconds(2);
  static final Duration RETRY_SPACING = Duration.ofMillis(500);

  /** Fetches a new token for an audience (a Workload API call); may block, may throw. */
  @FunctionalInterface
  public interface Fetcher {
    JwtSvidToken fetch(String audience) throws Exception;
  }

  private final Fetcher fetcher;
  private final Executor executor;
  private final Clock clock;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  public JwtSvidCache(Fetcher fetcher, Executor executor, Clock clock) {
    this.fetcher = fetcher;
    this.executor = executor;
    this.clock = clock;
  }

  /** A token for {@code audience}, waiting at most {@code maxWait} when none is usable. */
  public JwtSvidToken get(String audience, Duration maxWait) throws JwtSvidUnavailableException {
    Entry entry = entries.computeIfAbsent(audience, Entry::new);
    Instant now = clock.instant();
    JwtSvidToken cached = entry.token;
    if (cached != null && now.isBefore(cached.refreshDue())) {
      return cached;
    }
    boolean usable = cached != null && cached.usableAt(now, SEND_MARGIN);
    CompletableFuture<JwtSvidToken> refresh = entry.refresh(now, usable);
    if (usable) {
      return cached;
    }
    if (refresh == null) {
      throw unavailable(audience, entry, "the last attempt failed moments ago");
    }
    try {
      return refresh.get(Math.max(0, maxWait.toNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw unavailable(audience, entry, "no answer within " + Durations.format(maxWait));
    } catch (ExecutionException e) {
      throw unavailable(audience, entry, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(audience, entry, "interrupted while waiting");
    }
  }

  /** The cached token for {@code audience}, if any (no fetching). */
  public JwtSvidToken cached(String audience) {
    Entry entry = entries.get(audience);
    return entry == null ? null : entry.token;
  }

  private static JwtSvidUnavailableException unavailable(String audience, Entry entry,
      String why) {
    String lastError = entry.lastError;
    return new JwtSvidUnavailableException("lanyard: no JWT-SVID for audience \"" + audience
        + "\"" + (why == null ? "" : ": " + why)
        + (lastError == null ? "" : " (last error: " + lastError + ")"));
  }

  /** One audience: its token, the refresh in flight and the last failure. */
  private final class Entry {
    private final String audience;
    private volatile JwtSvidToken token;
    private volatile String lastError;
    private CompletableFuture<JwtSvidToken> inFlight;
    /** No fetch before this after a failure. */
    private Instant retryAfterFailure = Instant.MIN;
    /** No background refresh before this (the SPIRE Agent may hand back its cached token). */
    private Instant nextBackgroundRefresh = Instant.MIN;

    Entry(String audience) {
      this.audience = audience;
    }

    /**
     * The refresh in flight, or a new one; null while spacing retries after a failure, or
     * background refreshes ({@code background}: a usable token is held) after any fetch.
     */
    synchronized CompletableFuture<JwtSvidToken> refresh(Instant now, boolean background) {
      if (inFlight != null) {
        return inFlight;
      }
      if (now.isBefore(retryAfterFailure) || (background && now.isBefore(nextBackgroundRefresh))) {
        return null;
      }
      CompletableFuture<JwtSvidToken> future = new CompletableFuture<>();
      inFlight = future;
      try {
        executor.execute(() -> run(future));
      } catch (RuntimeException e) {
        finish(future, null, e);
      }
      return future;
    }

    private void run(CompletableFuture<JwtSvidToken> future) {
      try {
        finish(future, fetcher.fetch(audience), null);
      } catch (Exception | LinkageError e) {
        finish(future, null, e);
      }
    }

    private void finish(CompletableFuture<JwtSvidToken> future, JwtSvidToken fetched,
        Throwable error) {
      synchronized (this) {
        inFlight = null;
        if (fetched != null) {
          token = fetched;
          lastError = null;
          retryAfterFailure = Instant.MIN;
        } else {
          lastError = WorkloadApiSvidSource.describe(error);
          retryAfterFailure = clock.instant().plus(RETRY_SPACING);
        }
        // The SPIRE Agent may hand back the token it cached: do not ask again per request.
        nextBackgroundRefresh = clock.instant().plus(RETRY_SPACING);
      }
      if (fetched != null) {
        future.complete(fetched);
      } else {
        future.completeExceptionally(error);
      }
    }
  }
}
