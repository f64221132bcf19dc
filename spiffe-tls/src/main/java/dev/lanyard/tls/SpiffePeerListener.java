package dev.lanyard.tls;

import java.security.cert.X509Certificate;

/**
 * Told of every peer whose X.509-SVID a {@link LanyardTrustManager} verified and authorized, with
 * the host it was authorized for: the javaagent lets library host name verifiers accept such a
 * session for that host, and no other.
 */
public interface SpiffePeerListener {
  SpiffePeerListener NONE = (leaf, direction, host) -> { };

  /**
   * @param host outbound: the normalized mesh host the SVID was accepted for (null when the
   *     connection had no host); inbound: null
   */
  void onSpiffePeer(X509Certificate leaf, Direction direction, String host);
}
