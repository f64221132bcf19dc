package dev.lanyard.agent;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The SVID leaves that a Lanyard trust manager verified and authorized, weakly held (they go when
 * their sessions go). Library hostname verifiers consult it: a session whose peer leaf is here
 * passed SPIFFE verification, so its missing DNS name is not a reason to refuse it. A leaf that
 * merely looks like an SVID but was accepted by some other trust manager is not here.
 */
final class AuthorizedPeers {
  private final Map<X509Certificate, Boolean> leaves = Collections.synchronizedMap(new WeakHashMap<>());

  /**
   * Remembers {@code leaf}, the very object this handshake's session holds. A {@code WeakHashMap}
   * keeps the first of two equal keys, so putting an equal leaf from a later handshake would leave
   * the entry tied to an older object: once that one is collected (its sessions gone), the entry
   * vanished while the new session still used the leaf, and the next hostname check refused an
   * authorized peer (1 request in 857 in HandshakeStormIT). The newest handshake's object is the
   * one JSSE resumes from, so it becomes the key.
   */
  void add(X509Certificate leaf) {
    synchronized (leaves) {
      leaves.remove(leaf);
      leaves.put(leaf, Boolean.TRUE);
    }
  }

  boolean contains(X509Certificate leaf) {
    return leaves.containsKey(leaf);
  }

  boolean contains(SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate && leaves.containsKey(chain[0]);
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }
}
