package dev.lanyard.proxy;

/**
 * The state the forward proxy's two sides share about the current upstream (both sides run on the
 * client's event loop, so plain fields suffice).
 */
final class ProxyExchange {
  HostAndPort destination;
  /** Requests sent upstream whose response has not ended yet. */
  int outstanding;
  boolean responseStarted;
  /** The client asked for {@code Connection: close} (or spoke HTTP/1.0 without keep-alive). */
  boolean closeClientAfterResponse;
}
