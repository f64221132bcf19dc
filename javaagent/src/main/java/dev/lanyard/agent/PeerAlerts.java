package dev.lanyard.agent;

import dev.lanyard.tls.SpiffeIdClaim;
import java.security.cert.Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * Who sent a fatal alert to a client-mode JSSE socket or engine, through their public API only:
 * the server's {@code host:port} and, when its certificate was already verified (a server refuses
 * our SVID after it sent its own), its SPIFFE ID. Never starts a handshake: {@code
 * SSLSocket.getSession()} would, so the handshake session is read while there is one.
 */
final class PeerAlerts {
  private PeerAlerts() {}

  /** The server a client-mode transport talks to; empty for server mode or anything else. */
  static Optional<Peer> clientSide(Object transport) {
    if (transport instanceof SSLEngine) {
      SSLEngine engine = (SSLEngine) transport;
      if (!engine.getUseClientMode()) {
        return Optional.empty();
      }
      SSLSession session = engine.getHandshakeSession() != null ? engine.getHandshakeSession()
          : engine.getSession();
      String host = engine.getPeerHost() == null ? "(unknown host)" : engine.getPeerHost();
      return Optional.of(new Peer(host + ":" + engine.getPeerPort(), spiffeId(session)));
    }
    if (transport instanceof SSLSocket) {
      SSLSocket socket = (SSLSocket) transport;
      if (!socket.getUseClientMode()) {
        return Optional.empty();
      }
      SSLSession handshake = socket.getHandshakeSession();
      // No handshake session: the handshake is done (TLS 1.3 servers refuse after it), so
      // getSession() returns the established session without negotiating.
      SSLSession session = handshake != null ? handshake
          : socket.isConnected() ? socket.getSession() : null;
      String host = session != null && session.getPeerHost() != null ? session.getPeerHost()
          : socket.getInetAddress() == null ? "(unknown host)"
          : socket.getInetAddress().getHostAddress();
      return Optional.of(new Peer(host + ":" + socket.getPort(), spiffeId(session)));
    }
    return Optional.empty();
  }

  private static String spiffeId(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return SpiffeIdClaim.ofLeaf(chain).orElse(null);
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** {@code host:port} and the verified SPIFFE ID (null when unknown). */
  static final class Peer {
    private final String address;
    private final String spiffeId;

    Peer(String address, String spiffeId) {
      this.address = address;
      this.spiffeId = spiffeId;
    }

    String address() {
      return address;
    }

    String spiffeId() {
      return spiffeId;
    }
  }
}
