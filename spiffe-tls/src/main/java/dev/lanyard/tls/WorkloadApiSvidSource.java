package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.lanyard.tls.workloadapi.GrpcCall;
import dev.lanyard.tls.workloadapi.GrpcStatus;
import dev.lanyard.tls.workloadapi.WorkloadApiClient;
import dev.lanyard.tls.workloadapi.WorkloadApiException;
import dev.lanyard.tls.workloadapi.proto.Workload;
import io.spiffe.exception.SocketEndpointAddressException;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.Address;
import io.spiffe.workloadapi.X509Context;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * X.509-SVIDs from the SPIRE Workload API, streamed with Lanyard's own {@link WorkloadApiClient}
 * (no grpc-java; docs/ARCHITECTURE.md), under a lifecycle Lanyard owns.
 *
 * <ul>
 *   <li>{@link #start} returns at once; connecting happens on a daemon thread. Nothing here ever
 *       waits without a bound.
 *   <li>Retry policy: the client does not retry; on any stream end, including {@code
 *       PERMISSION_DENIED "no identity issued"} (an entry not yet synced to a restarted SPIRE
 *       Agent), this class closes the client and reconnects after {@link ReconnectBackoff}
 *       (200 ms doubling to 5 s, unlimited; at most 500 ms before the first SVID), so a restarted
 *       SPIRE Agent or a newly synced entry is picked up quickly.
 *   <li>A watchdog reconnects when the SVID is three quarters through its life without a
 *       rotation (SPIRE rotates at one half): it covers a stream that is open but silent.
 *   <li>Every update is decoded by java-spiffe's parsers ({@link WorkloadApiUpdates}) and
 *       validated ({@link SvidUpdateValidator}); a bad one is rejected, logged (one line naming
 *       the reason) and counted ({@link #rejectedUpdates}), and the last good SVID and the stream
 *       kept: the next good update arrives on it.
 *   <li>Everything a reader sees (the SVID, bundles, rotation and rejection counts, last error) is
 *       one immutable {@link SvidSourceState} behind one volatile field, replaced whole by the
 *       loop thread on every change: no reader ever
 *       pairs one update's SVID with another's counts. A different leaf counts as a rotation.
 * </ul>
 */
public final class WorkloadApiSvidSource implements SvidSource {
  private static final Duration WATCHDOG_PERIOD = Duration.ofSeconds(1);
  private static final Duration MIN_WATCHDOG_SPACING = Duration.ofSeconds(5);
  private final String address;
  private final URI endpoint;
  private final Clock clock;
  private final SvidUpdateValidator validator;
  private final ReconnectBackoff backoff = new ReconnectBackoff();
  private final ScheduledExecutorService loop =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("lanyard-workload-api"));
  private final CountDownLatch firstSvid = new CountDownLatch(1);
  private final List<UpdateListener> listeners = new CopyOnWriteArrayList<>();
  /** Written by the loop thread only, always whole. */
  private volatile SvidSourceState state = SvidSourceState.EMPTY;
  /** The last rejection logged at WARN, so that a re-sent bad update is not logged again. */
  private String lastRejection;
  private volatile boolean closed;

  // Owned by the loop thread.
  private volatile WorkloadApiClient client;
  private GrpcCall stream;
  private int generation;
  private long lastActivityNanos;
  private ScheduledFuture<?> pendingReconnect;
  private Identity warnedExpired;

  private WorkloadApiSvidSource(String address, URI endpoint, Clock clock) {
    this.address = address;
    this.endpoint = endpoint;
    this.clock = clock;
    this.validator = new SvidUpdateValidator(clock);
  }

  /**
   * Starts streaming from {@code address} (e.g. {@code unix:///run/spire/agent.sock}) in the
   * background and returns immediately.
   *
   * @throws IllegalArgumentException when {@code address} is not a Workload API address
   */
  public static WorkloadApiSvidSource start(String address) {
    return start(address, Clock.systemUTC());
  }

  static WorkloadApiSvidSource start(String address, Clock clock) {
    WorkloadApiSvidSource source = new WorkloadApiSvidSource(address, endpoint(address), clock);
    source.loop.execute(source::connect);
    source.loop.scheduleWithFixedDelay(source::watchdog, WATCHDOG_PERIOD.toMillis(),
        WATCHDOG_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    return source;
  }

  /**
   * {@code address} as a Workload API endpoint (java-spiffe's rules: {@code unix:///path} or
   * {@code tcp://ip:port}).
   *
   * @throws IllegalArgumentException when it is none
   */
  static URI endpoint(String address) {
    try {
      return Address.parseAddress(address);
    } catch (SocketEndpointAddressException e) {
      throw new IllegalArgumentException(ConfigKeys.ENDPOINT_SOCKET.describe() + ": \"" + address
          + "\" is not a Workload API address (" + e.getMessage() + "); write e.g."
          + " unix:///spiffe-workload-api/spire-agent.sock", e);
    }
  }

  @Override
  public SvidSourceState state() {
    return state;
  }

  @Override
  public Optional<Identity> current() {
    return state.current();
  }

  @Override
  public TrustBundles bundles() {
    return state.bundles();
  }

  @Override
  public boolean awaitFirst(Duration timeout) throws InterruptedException {
    if (!timeout.isNegative() && !timeout.isZero()) {
      firstSvid.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    return current().isPresent();
  }

  @Override
  public void addListener(UpdateListener listener) {
    listeners.add(listener);
  }

  @Override
  public long rotationCount() {
    return state.rotations();
  }

  @Override
  public Map<String, Long> rejectedUpdates() {
    return state.rejectedUpdates();
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public Optional<String> lastError() {
    return state.error();
  }

  @Override
  public void close() {
    closed = true;
    loop.shutdownNow();
    try {
      loop.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeClient();
  }

  // ---- everything below runs on the loop thread ----

  private void connect() {
    if (closed) {
      return;
    }
    int thisGeneration = ++generation;
    pendingReconnect = null;
    closeClient();
    lastActivityNanos = System.nanoTime();
    try {
      WorkloadApiClient newClient = WorkloadApiClient.create(endpoint,
          DaemonThreads.factory("lanyard-workload-api-io"));
      client = newClient;
      stream = newClient.watchX509(new StreamWatcher(thisGeneration));
      LanyardLog.debug("watching X.509-SVIDs from the Workload API at " + address);
    } catch (RuntimeException | LinkageError e) {
      onStreamError(thisGeneration, e);
    }
  }

  private void onStreamError(int errorGeneration, Throwable error) {
    if (closed || errorGeneration != generation) {
      return;
    }
    state = state.failed(describe(error));
    reconnectLater();
  }

  private void reconnectLater() {
    closeClient();
    Duration delay = backoff.nextDelay(state.identity() != null);
    LanyardLog.debug("Workload API at " + address + ": " + state.lastError() + "; reconnecting in "
        + delay.toMillis() + " ms");
    pendingReconnect = loop.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void accept(int updateGeneration, Workload.X509SVIDResponse update) {
    if (closed || updateGeneration != generation) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    Identity identity;
    TrustBundles bundles;
    try {
      X509Context context = WorkloadApiUpdates.x509Context(update);
      X509Svid svid = context.getDefaultSvid();
      bundles = TrustBundles.from(context.getX509BundleSet());
      if (svid == null) {
        throw new InvalidSvidException(InvalidSvidException.Reason.NO_SVID,
            "the update holds no X.509-SVID");
      }
      identity = validator.validate(svid.getChain(), svid.getPrivateKey(), bundles);
    } catch (InvalidSvidException e) {
      reject(e);
      return;
    }
    backoff.reset();
    lastRejection = null;
    SvidSourceState before = state;
    if (identity.sameSvid(before.identity()) && bundles.equals(before.bundles())) {
      state = before.recovered(); // a reconnect re-delivered what we hold
      return;
    }
    state = before.accepted(identity, bundles);
    firstSvid.countDown();
    LanyardLog.debug("X.509-SVID " + identity + "; trust bundles: " + bundles);
    for (UpdateListener listener : listeners) {
      try {
        listener.onUpdate(before.identity(), identity, bundles);
      } catch (RuntimeException e) {
        LanyardLog.warn("SVID update listener " + listener.getClass().getName() + " failed: " + e);
      }
    }
  }

  /**
   * A bad update: the SVID, the backoff and the stream stay as they are. The same rejection
   * again, as the SPIRE Agent sends on each new stream, is counted but logged once.
   */
  private void reject(InvalidSvidException e) {
    String error = "rejected an X.509-SVID update (" + e.reason().code() + "): " + e.getMessage();
    boolean again = error.equals(lastRejection);
    lastRejection = error;
    // The count and the error together: whoever sees the count (a test, /identity, /metrics)
    // also sees this rejection as last_error, never the one before it.
    state = state.rejected(e.reason().code(), error);
    String line = error + "; keeping " + current().map(Identity::toString).orElse("no SVID")
        + " (from the Workload API at " + address + ")";
    if (again) {
      LanyardLog.debug(line);
    } else {
      LanyardLog.warn(line);
    }
  }

  private void onRejectedUpdate(int updateGeneration, InvalidSvidException e) {
    if (closed || updateGeneration != generation) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    reject(e);
  }

  private void watchdog() {
    Identity identity = state.identity();
    if (closed || identity == null) {
      return;
    }
    Instant now = clock.instant();
    if (!now.isBefore(identity.notAfter()) && warnedExpired != identity) {
      warnedExpired = identity;
      LanyardLog.warn("X.509-SVID " + identity + " has expired and the Workload API at " + address
          + " has not renewed it" + lastError().map(e -> " (last error: " + e + ")").orElse(""));
    }
    boolean streaming = client != null && (pendingReconnect == null || pendingReconnect.isDone());
    Duration lifetime = Duration.between(identity.notBefore(), identity.notAfter());
    Instant overdue = identity.rotationDue().plus(lifetime.dividedBy(4));
    long quietNanos = System.nanoTime() - lastActivityNanos;
    if (streaming && now.isAfter(overdue) && quietNanos > MIN_WATCHDOG_SPACING.toNanos()) {
      LanyardLog.debug("X.509-SVID " + identity.serialHex() + " is overdue for rotation;"
          + " reconnecting to the Workload API");
      connect();
    }
  }

  private void closeClient() {
    WorkloadApiClient toClose = client;
    GrpcCall toCancel = stream;
    client = null;
    stream = null;
    if (toCancel != null) {
      toCancel.cancel();
    }
    if (toClose != null) {
      toClose.close();
    }
  }

  private void onLoop(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      // closed: nothing to do
    }
  }

  /** gRPC's status line ("UNAVAILABLE: io exception") when there is one, else the root cause. */
  static String describe(Throwable error) {
    Throwable root = error;
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof WorkloadApiException || t.getClass().getSimpleName().startsWith("Status")) {
        return t.getMessage();
      }
      root = t;
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  /** Stream callbacks arrive on the client's I/O thread; they hand over to the loop thread. */
  private final class StreamWatcher implements WorkloadApiClient.X509Listener {
    private final int watcherGeneration;

    StreamWatcher(int watcherGeneration) {
      this.watcherGeneration = watcherGeneration;
    }

    @Override
    public void onUpdate(Workload.X509SVIDResponse update) {
      onLoop(() -> accept(watcherGeneration, update));
    }

    @Override
    public void onUndecodable(InvalidProtocolBufferException error) {
      InvalidSvidException rejection = new InvalidSvidException(
          InvalidSvidException.Reason.MALFORMED_UPDATE,
          "the message is no X509SVIDResponse: " + error.getMessage(), error);
      onLoop(() -> onRejectedUpdate(watcherGeneration, rejection));
    }

    @Override
    public void onClose(GrpcStatus status) {
      WorkloadApiException error = new WorkloadApiException(status.isOk()
          ? new GrpcStatus(GrpcStatus.UNAVAILABLE, "the Workload API ended the X.509-SVID stream")
          : status);
      onLoop(() -> onStreamError(watcherGeneration, error));
    }
  }
}
