package dev.lanyard.proxy;

import dev.lanyard.tls.SpiffeIdClaim;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The SPIFFE ID of a connection's TLS peer, as spiffe-tls's trust manager verified it during the
 * handshake (a handshake only completes after that verification), kept on the channel.
 */
final class PeerIdentity {
  static final AttributeKey<String> PEER_ID = AttributeKey.valueOf("lanyard.peerSpiffeId");

  private PeerIdentity() {}

  /** The SPIFFE ID of the peer's leaf certificate ({@link SpiffeIdClaim}, the one reader). */
  static Optional<String> fromSession(SSLSession session) {
    try {
      return SpiffeIdClaim.ofLeaf(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  static Optional<String> of(Channel channel) {
    return Optional.ofNullable(channel.attr(PEER_ID).get());
  }
}
