package dev.lanyard.tls;

import java.time.Duration;

/**
 * Where JWT-SVIDs (to send) and JWT bundles (to verify received ones) come from. Every call is
 * bounded: none waits longer than it is told.
 */
public interface JwtSvidSource extends AutoCloseable {
  /**
   * A JWT-SVID for {@code audience}: the cached one until half its lifetime, then a fresh one.
   *
   * @throws JwtSvidUnavailableException when none is usable and none arrived within {@code maxWait}
   */
  JwtSvidToken token(String audience, Duration maxWait) throws JwtSvidUnavailableException;

  /**
   * The JWT bundles of every known trust domain; fetched at most {@code maxWait} when none are
   * held yet or {@code refresh} asks for newer ones (e.g. for an unknown key ID), else cached.
   * Never throws: on failure the last bundles held (maybe {@link JwtBundles#EMPTY}).
   */
  JwtBundles bundles(boolean refresh, Duration maxWait);

  /** Where they come from, for messages. */
  String address();

  @Override
  void close();
}
