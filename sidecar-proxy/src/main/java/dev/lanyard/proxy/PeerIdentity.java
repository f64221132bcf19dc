package dev.lanyard.proxy;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
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

  /** The first {@code spiffe://} URI SAN of the peer's leaf certificate. */
  static Optional<String> fromSession(SSLSession session) {
    try {
      return spiffeIdOf(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  /** The first {@code spiffe://} URI SAN of a chain's leaf; empty for none or no chain. */
  static Optional<String> spiffeIdOf(Certificate[] chain) {
    try {
      if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
        return Optional.empty();
      }
      Collection<List<?>> names = ((X509Certificate) chain[0]).getSubjectAlternativeNames();
      if (names == null) {
        return Optional.empty();
      }
      for (List<?> name : names) {
        // Type 6 is uniformResourceIdentifier (RFC 5280).
        if (name.size() >= 2 && Integer.valueOf(6).equals(name.get(0))
            && name.get(1) instanceof String uri && uri.startsWith("spiffe://")) {
          return Optional.of(uri);
        }
      }
      return Optional.empty();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
  }

  static Optional<String> of(Channel channel) {
    return Optional.ofNullable(channel.attr(PEER_ID).get());
  }
}
