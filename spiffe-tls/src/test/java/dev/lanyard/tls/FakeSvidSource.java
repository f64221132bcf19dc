package dev.lanyard.tls;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** An in-memory {@link SvidSource}: tests hand it SVIDs and bundles. */
final class FakeSvidSource implements SvidSource {
  static final String ADDRESS = "unix:///fake/spire-agent.sock";

  private final CountDownLatch first = new CountDownLatch(1);
  private final List<UpdateListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong rotations = new AtomicLong();
  private volatile java.util.Map<String, Long> rejected = java.util.Map.of();
  private volatile Identity identity;
  private volatile TrustBundles bundles = TrustBundles.EMPTY;
  private volatile String lastError;
  volatile boolean closed;

  FakeSvidSource() {}

  FakeSvidSource(Identity identity, TrustBundles bundles) {
    update(identity, bundles);
  }

  synchronized void update(Identity next, TrustBundles nextBundles) {
    Identity previous = identity;
    bundles = nextBundles;
    identity = next;
    if (previous != null && !previous.sameSvid(next)) {
      rotations.incrementAndGet();
    }
    first.countDown();
    listeners.forEach(listener -> listener.onUpdate(previous, next, nextBundles));
  }

  void lastError(String error) {
    lastError = error;
  }

  @Override
  public Optional<Identity> current() {
    return Optional.ofNullable(identity);
  }

  @Override
  public TrustBundles bundles() {
    return bundles;
  }

  @Override
  public boolean awaitFirst(Duration timeout) throws InterruptedException {
    first.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    return identity != null;
  }

  @Override
  public void addListener(UpdateListener listener) {
    listeners.add(listener);
  }

  @Override
  public long rotationCount() {
    return rotations.get();
  }

  /** Sets what {@link #rejectedUpdates} reports. */
  void rejected(java.util.Map<String, Long> counts) {
    rejected = java.util.Map.copyOf(counts);
  }

  @Override
  public java.util.Map<String, Long> rejectedUpdates() {
    return rejected;
  }

  @Override
  public String address() {
    return ADDRESS;
  }

  @Override
  public Optional<String> lastError() {
    return Optional.ofNullable(lastError);
  }

  @Override
  public void close() {
    closed = true;
  }
}
