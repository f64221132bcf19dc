package dev.lanyard.agent;

import dev.lanyard.tls.Direction;
import dev.lanyard.tls.MeshDestinations;
import dev.lanyard.tls.SpiffePeerListener;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The SVID leaves that a Lanyard trust manager verified and authorized, with the mesh hosts each
 * was accepted for, weakly held (they go when their sessions go). Library hostname verifiers
 * consult it: a session whose peer leaf was accepted as the SPIFFE identity of that very host
 * passed secure naming, so its missing DNS name is not a reason to refuse it. A leaf accepted for
 * another host, or accepted by some other trust manager, or by Web PKI, is not a match.
 */
final class AuthorizedPeers implements SpiffePeerListener {
  /** What stands for "accepted as a client" (inbound: no host). */
  private static final String INBOUND = "";

  private final Map<X509Certificate, Set<String>> leaves =
      Collections.synchronizedMap(new WeakHashMap<>());

  @Override
  public void onSpiffePeer(X509Certificate leaf, Direction direction, String host) {
    add(leaf, direction == Direction.INBOUND || host == null ? INBOUND
        : MeshDestinations.normalize(host));
  }

  /**
   * Remembers {@code leaf}, the very object this handshake's session holds. A {@code WeakHashMap}
   * keeps the first of two equal keys, so putting an equal leaf from a later handshake would leave
   * the entry tied to an older object: once that one is collected (its sessions gone), the entry
   * vanished while the new session still used the leaf, and the next hostname check refused an
   * authorized peer (1 request in 857 in HandshakeStormIT). The newest handshake's object is the
   * one JSSE resumes from, so it becomes the key (with every host the equal leaves were accepted
   * for).
   */
  void add(X509Certificate leaf, String host) {
    synchronized (leaves) {
      Set<String> hosts = leaves.remove(leaf);
      Set<String> updated = hosts == null ? new HashSet<>() : hosts;
      updated.add(host);
      leaves.put(leaf, updated);
    }
  }

  /** Whether {@code leaf} was accepted at all (OkHttp's chain cleaner: the chain is SPIFFE's). */
  boolean contains(X509Certificate leaf) {
    return leaves.containsKey(leaf);
  }

  /** Whether the session's peer leaf was accepted as the SPIFFE identity of {@code host}. */
  boolean containsFor(SSLSession session, String host) {
    if (host == null) {
      return false;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
        return false;
      }
      synchronized (leaves) {
        Set<String> hosts = leaves.get(chain[0]);
        return hosts != null && hosts.contains(MeshDestinations.normalize(host));
      }
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }
}
