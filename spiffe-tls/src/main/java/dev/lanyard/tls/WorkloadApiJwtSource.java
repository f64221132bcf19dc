package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import io.spiffe.exception.SocketEndpointAddressException;
import io.spiffe.svid.jwtsvid.JwtSvid;
import io.spiffe.workloadapi.Address;
import io.spiffe.workloadapi.DefaultWorkloadApiClient;
import io.spiffe.workloadapi.WorkloadApiClient;
import io.spiffe.workloadapi.retry.ExponentialBackoffPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * JWT-SVIDs and JWT bundles from the SPIRE Workload API through java-spiffe's {@link
 * DefaultWorkloadApiClient} ({@code FetchJWTSVID}, {@code FetchJWTBundles}: unary calls). java-spiffe's
 * {@code DefaultJwtSource} waits for its first bundles without a bound and fetches a token per
 * call; here tokens are cached per audience ({@link JwtSvidCache}) and every call runs on a
 * daemon thread that the caller waits for at most its own bound. The gRPC channel reconnects by
 * itself, so a restarted SPIRE Agent is picked up at the next fetch.
 */
public final class WorkloadApiJwtSource implements JwtSvidSource {
  private static final ExponentialBackoffPolicy NO_JAVA_SPIFFE_RETRIES =
      ExponentialBackoffPolicy.builder().maxRetries(-1).build();
  /** Cached bundles are re-fetched after this long, so rotated JWT keys are learned. */
  private static final Duration BUNDLE_MAX_AGE = Duration.ofSeconds(30);
  /** A forced refresh (unknown key ID) at most this often: a forged kid must not flood SPIRE. */
  private static final Duration BUNDLE_REFRESH_SPACING = Duration.ofSeconds(5);

  private final String address;
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

  private WorkloadApiJwtSource(String address, Clock clock) {
    this.address = address;
    this.clock = clock;
    this.cache = new JwtSvidCache(this::fetchToken, calls, clock);
  }

  /**
   * A source for {@code address} (e.g. {@code unix:///run/spire/agent.sock}); connects lazily, at
   * the first call.
   *
   * @throws IllegalArgumentException when {@code address} is not a Workload API address
   */
  public static WorkloadApiJwtSource start(String address) {
    return start(address, Clock.systemUTC());
  }

  static WorkloadApiJwtSource start(String address, Clock clock) {
    try {
      Address.parseAddress(address);
    } catch (SocketEndpointAddressException e) {
      throw new IllegalArgumentException(ConfigKeys.ENDPOINT_SOCKET.describe() + ": \"" + address
          + "\" is not a Workload API address (" + e.getMessage() + "); write e.g."
          + " unix:///spiffe-workload-api/spire-agent.sock", e);
    }
    return new WorkloadApiJwtSource(address, clock);
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
    Future<JwtBundles> fetch = calls.submit(() -> JwtBundles.from(client().fetchJwtBundles()));
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
        try {
          client.close();
        } catch (Exception e) {
          LanyardLog.debug("closing the JWT Workload API client: " + e);
        }
        client = null;
      }
    }
  }

  private JwtSvidToken fetchToken(String audience) throws Exception {
    JwtSvid svid = client().fetchJwtSvid(audience);
    Instant fetched = clock.instant();
    Instant issuedAt = svid.getIssuedAt() == null ? fetched : svid.getIssuedAt().toInstant();
    LanyardLog.debug("fetched JWT-SVID " + svid.getSpiffeId() + " for audience " + audience
        + " valid until " + svid.getExpiry().toInstant());
    return new JwtSvidToken(audience, svid.getToken(), svid.getSpiffeId().toString(), issuedAt,
        svid.getExpiry().toInstant());
  }

  private WorkloadApiClient client() throws Exception {
    synchronized (clientLock) {
      if (closed) {
        throw new IllegalStateException("the JWT-SVID source is closed");
      }
      if (client == null) {
        client = DefaultWorkloadApiClient.newClient(DefaultWorkloadApiClient.ClientOptions.builder()
            .spiffeSocketPath(address)
            .exponentialBackoffPolicy(NO_JAVA_SPIFFE_RETRIES)
            .executorService(Executors.newCachedThreadPool(
                DaemonThreads.factory("lanyard-jwt-svid-grpc")))
            .build());
      }
      return client;
    }
  }
}
