package dev.lanyard.tls;

import dev.lanyard.tls.workloadapi.GrpcStatus;
import dev.lanyard.tls.workloadapi.WorkloadApiClient;
import dev.lanyard.tls.workloadapi.WorkloadApiException;
import dev.lanyard.tls.workloadapi.proto.Workload;
import io.spiffe.svid.jwtsvid.JwtSvid;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * JWT-SVIDs and JWT bundles from the SPIRE Workload API through Lanyard's {@link
 * WorkloadApiClient} ({@code FetchJWTSVID}; the first answer of {@code FetchJWTBundles}), each
 * call with a gRPC deadline. Tokens are cached per audience ({@link JwtSvidCache}) and every call
 * runs on a daemon thread that the caller waits for at most its own bound. The client opens a new
 * connection when the last one closed, so a restarted SPIRE Agent is picked up at the next fetch.
 */
public final class WorkloadApiJwtSource implements JwtSvidSource {
  /** A fetch of a token the cache waits for in the background is bounded too. */
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(10);
  /** Cached bundles are re-fetched after this long, so rotated JWT keys are learned. */
  private static final Duration BUNDLE_MAX_AGE = Duration.ofSeconds(30);
  /** A forced refresh (unknown key ID) at most this often: a forged kid must not flood SPIRE. */
  private static final Duration BUNDLE_REFRESH_SPACING = Duration.ofSeconds(5);

  private final String address;
  private final URI endpoint;
  private final Clock clock;
  private final ExecutorService calls =
      Executors.newCachedThreadPool(DaemonThreads.factory("lanyard-jwt-svid"));
  private final JwtSvidCache cache;
  private final Object clientLock = new Object();
  private WorkloadApiClient client;
  private volatile JwtBundles bundles;
  private volatile Instant bundlesFetched = Instant.MIN;
  private volatile String lastError;
  private volatile boolean closed;

  private WorkloadApiJwtSource(String address, URI endpoint, Clock clock) {
    this.address = address;
    this.endpoint = endpoint;
    this.clock = clock;
    this.cache = new JwtSvidCache(this::fetchToken, calls, clock);
  }

  /**
   * A source for {@code address} (e.g. {@code unix:///run/spire/agent.sock}); connects lazily, at
   * the first call.
   *
   * @throws IllegalArgumentException when {@code address} is not a Workload API address
   */
  /**
   * As {@link #start(String)}, typed as {@link LanyardTls}'s field: were it assigned a {@code
   * WorkloadApiJwtSource}, the verifier would load {@link JwtSvidSource} with {@code LanyardTls}
   * even in a workload that uses no JWT.
   */
  static JwtSvidSource startAsSource(String address) {
    return start(address);
  }

  public static WorkloadApiJwtSource start(String address) {
    return start(address, Clock.systemUTC());
  }

  static WorkloadApiJwtSource start(String address, Clock clock) {
    return new WorkloadApiJwtSource(address, WorkloadApiSvidSource.endpoint(address), clock);
  }

  @Override
  public JwtSvidToken token(String audience, Duration maxWait) throws JwtSvidUnavailableException {
    try {
      return cache.get(audience, maxWait);
    } catch (JwtSvidUnavailableException e) {
      throw new JwtSvidUnavailableException(e.getMessage() + " from the Workload API at "
          + address + "; check that the SPIRE Agent socket is mounted there and that a"
          + " registration entry matches this workload");
    }
  }

  @Override
  public JwtBundles bundles(boolean refresh, Duration maxWait) {
    JwtBundles held = bundles;
    Instant now = clock.instant();
    boolean stale = held == null || now.isAfter(bundlesFetched.plus(BUNDLE_MAX_AGE));
    boolean mayForce = refresh && now.isAfter(bundlesFetched.plus(BUNDLE_REFRESH_SPACING));
    if (!stale && !mayForce) {
      return held;
    }
    Duration deadline = maxWait.compareTo(CALL_DEADLINE) < 0 ? maxWait : CALL_DEADLINE;
    Future<JwtBundles> fetch = calls.submit(() -> JwtBundles.from(
        WorkloadApiUpdates.jwtBundles(client().fetchJwtBundles(deadline))));
    try {
      JwtBundles fetched = fetch.get(Math.max(1, maxWait.toNanos()), TimeUnit.NANOSECONDS);
      bundles = fetched;
      bundlesFetched = clock.instant();
      lastError = null;
      return fetched;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      lastError = "fetching JWT bundles: " + WorkloadApiSvidSource.describe(e);
      LanyardLog.debug(lastError);
      if (held != null) {
        bundlesFetched = clock.instant(); // keep the old ones a while, do not ask per request
      }
    }
    return held == null ? JwtBundles.EMPTY : held;
  }

  @Override
  public String address() {
    return address;
  }

  /** The most recent fetch problem, if any since the last success. */
  public String lastError() {
    return lastError;
  }

  @Override
  public void close() {
    closed = true;
    calls.shutdownNow();
    synchronized (clientLock) {
      if (client != null) {
        client.close();
        client = null;
      }
    }
  }

  private JwtSvidToken fetchToken(String audience) throws Exception {
    Workload.JWTSVIDResponse response = client().fetchJwtSvid(audience, CALL_DEADLINE);
    if (response.getSvidsCount() == 0) {
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.INTERNAL,
          "the Workload API answered FetchJWTSVID for audience " + audience + " with no JWT-SVID"));
    }
    JwtSvid svid = JwtSvid.parseInsecure(response.getSvids(0).getSvid(), Set.of(audience));
    Instant fetched = clock.instant();
    Instant issuedAt = svid.getIssuedAt() == null ? fetched : svid.getIssuedAt().toInstant();
    LanyardLog.debug("fetched JWT-SVID " + svid.getSpiffeId() + " for audience " + audience
        + " valid until " + svid.getExpiry().toInstant());
    return new JwtSvidToken(audience, svid.getToken(), svid.getSpiffeId().toString(), issuedAt,
        svid.getExpiry().toInstant());
  }

  private WorkloadApiClient client() {
    synchronized (clientLock) {
      if (closed) {
        throw new IllegalStateException("the JWT-SVID source is closed");
      }
      if (client == null) {
        client = WorkloadApiClient.create(endpoint, DaemonThreads.factory("lanyard-jwt-svid-io"));
      }
      return client;
    }
  }
}
