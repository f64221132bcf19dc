package dev.lanyard.tls;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Where the workload's X.509-SVID and trust bundles come from. Implementations hold one
 * immutable {@link SvidSourceState} behind a volatile field and swap it whole on every change.
 */
public interface SvidSource extends AutoCloseable {

  /**
   * Everything below at one instant. Readers that show several of these together (the admin
   * endpoint) take one state rather than call the methods one by one, which may each see another
   * update. The default composes the methods, for sources with nothing to tear.
   */
  default SvidSourceState state() {
    return new SvidSourceState(current().orElse(null), bundles(), rotationCount(),
        rejectedUpdates(), lastError().orElse(null));
  }

  /** The current X.509-SVID; empty until the first one arrives. */
  Optional<Identity> current();

  /** The current trust bundles of every known trust domain ({@link TrustBundles#EMPTY} at first). */
  TrustBundles bundles();

  /**
   * Waits at most {@code timeout} for the first X.509-SVID; returns whether one is held. Never
   * waits longer, whatever the source's state.
   */
  boolean awaitFirst(Duration timeout) throws InterruptedException;

  /** Called after every accepted update (new SVID, new bundles, or both). */
  void addListener(UpdateListener listener);

  /** How many times the SVID was replaced by a different one (the first SVID is not a rotation). */
  long rotationCount();

  /**
   * Updates rejected so far (the last good SVID was kept), by {@link InvalidSvidException.Reason}
   * code; empty when none was.
   */
  default Map<String, Long> rejectedUpdates() {
    return Map.of();
  }

  /** Where the SVIDs come from, for messages (e.g. the Workload API address). */
  String address();

  /** The most recent problem (connection error, rejected update), if any since the last success. */
  Optional<String> lastError();

  @Override
  void close();

  /** Notified on the source's own thread; must be quick and must not throw. */
  interface UpdateListener {
    /**
     * @param previous the SVID before this update; null for the first
     * @param current the SVID now held
     * @param bundles the trust bundles now held
     */
    void onUpdate(Identity previous, Identity current, TrustBundles bundles);
  }
}
