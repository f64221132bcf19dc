package dev.lanyard.tls;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An {@link SvidSource}'s state at one instant: the SVID and bundles it holds, how often the SVID
 * rotated, the updates it rejected and its last error, all from the same moment, so a reader
 * (the admin endpoint, a test) never pairs one update's SVID with another's counts.
 *
 * <p>Immutable (spiffe-tls is Java 11 bytecode: a final class rather than a record).
 */
public final class SvidSourceState {
  /** Before anything arrived. */
  public static final SvidSourceState EMPTY =
      new SvidSourceState(null, TrustBundles.EMPTY, 0, Map.of(), null);

  private final Identity identity;
  private final TrustBundles bundles;
  private final long rotations;
  private final Map<String, Long> rejectedUpdates;
  private final String lastError;

  /**
   * @param identity the SVID held; null before the first
   * @param bundles the trust bundles held
   * @param rotations how many times the SVID was replaced by a different one
   * @param rejectedUpdates updates rejected so far, by reason code
   * @param lastError the most recent problem since the last accepted update; null when none
   */
  public SvidSourceState(Identity identity, TrustBundles bundles, long rotations,
      Map<String, Long> rejectedUpdates, String lastError) {
    this.identity = identity;
    this.bundles = bundles;
    this.rotations = rotations;
    this.rejectedUpdates = Collections.unmodifiableMap(new TreeMap<>(rejectedUpdates));
    this.lastError = lastError;
  }

  /** The SVID held; null before the first. */
  public Identity identity() {
    return identity;
  }

  public TrustBundles bundles() {
    return bundles;
  }

  /** How many times the SVID was replaced by a different one (the first is no rotation). */
  public long rotations() {
    return rotations;
  }

  /** Updates rejected so far, by reason code (sorted, unmodifiable). */
  public Map<String, Long> rejectedUpdates() {
    return rejectedUpdates;
  }

  /** The most recent problem since the last accepted update; null when none. */
  public String lastError() {
    return lastError;
  }

  public Optional<Identity> current() {
    return Optional.ofNullable(identity);
  }

  public Optional<String> error() {
    return Optional.ofNullable(lastError);
  }

  /** All rejected updates, whatever their reason. */
  public long rejectedTotal() {
    return rejectedUpdates.values().stream().mapToLong(Long::longValue).sum();
  }

  /** A new SVID and bundles accepted: the error cleared, a different leaf counted as a rotation. */
  SvidSourceState accepted(Identity newIdentity, TrustBundles newBundles) {
    boolean rotated = identity != null && !newIdentity.sameSvid(identity);
    return new SvidSourceState(newIdentity, newBundles, rotations + (rotated ? 1 : 0),
        rejectedUpdates, null);
  }

  /** An update rejected with {@code reason}: counted, and the error it got. */
  SvidSourceState rejected(String reason, String error) {
    Map<String, Long> counts = new TreeMap<>(rejectedUpdates);
    counts.merge(reason, 1L, Long::sum);
    return new SvidSourceState(identity, bundles, rotations, counts, error);
  }

  /** A stream or connection error; the SVID, bundles and counts stay. */
  SvidSourceState failed(String error) {
    return new SvidSourceState(identity, bundles, rotations, rejectedUpdates, error);
  }

  /** A reconnect that re-delivered what is held: only the error is cleared. */
  SvidSourceState recovered() {
    return lastError == null ? this
        : new SvidSourceState(identity, bundles, rotations, rejectedUpdates, null);
  }

  @Override
  public String toString() {
    return "SVID " + (identity == null ? "none" : identity.serialHex()) + ", rotations "
        + rotations + ", rejected " + rejectedUpdates + ", last error " + lastError;
  }
}
