package dev.lanyard.proxy;

import dev.lanyard.tls.SpiffeIdClaim;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.util.HexFormat;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * {@code X-Forwarded-Client-Cert} in Envoy's format, as Istio's sidecars set it, from the verified
 * TLS peer: {@code By=<our SPIFFE ID>;Hash=<SHA-256 of the peer's leaf certificate, DER, hex>;
 * URI=<the peer's SPIFFE ID>}. Apps moving from Istio keep reading the header they know, and only
 * the sidecar's value ever reaches them (a client's copy is removed first).
 */
final class ForwardedClientCert {
  static final String HEADER = "X-Forwarded-Client-Cert";

  private ForwardedClientCert() {}

  /** Empty when the connection has no TLS session with a verified SPIFFE peer. */
  static Optional<String> of(Channel channel) {
    Optional<String> peer = PeerIdentity.of(channel);
    SslHandler tls = channel.pipeline().get(SslHandler.class);
    if (peer.isEmpty() || tls == null) {
      return Optional.empty();
    }
    return format(tls.engine().getSession(), peer.get());
  }

  static Optional<String> format(SSLSession session, String peerId) {
    try {
      Certificate[] peerChain = session.getPeerCertificates();
      if (peerChain.length == 0) {
        return Optional.empty();
      }
      StringBuilder value = new StringBuilder();
      SpiffeIdClaim.ofLeaf(session.getLocalCertificates()).ifPresent(by -> value.append("By=").append(by).append(';'));
      value.append("Hash=").append(sha256Hex(peerChain[0].getEncoded()));
      value.append(";URI=").append(peerId);
      return Optional.of(value.toString());
    } catch (SSLPeerUnverifiedException | CertificateEncodingException e) {
      return Optional.empty();
    }
  }

  static String sha256Hex(byte[] der) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
