package dev.lanyard.tls;

import io.spiffe.spiffeid.SpiffeId;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Judges every TLS peer, in both directions; all {@code check*Trusted} overloads end in {@link
 * #verify}.
 *
 * <ul>
 *   <li>A peer whose leaf carries a spiffe:// URI SAN is verified as an X.509-SVID against its
 *       trust domain's bundle ({@link SvidValidator}) and authorized by {@link PeerPolicy}. That
 *       authorization replaces DNS host name verification: SVIDs carry no DNS names, so the
 *       endpoint identification algorithm is deliberately not applied to SPIFFE peers.
 *   <li>A server without a SPIFFE ID is judged by the JVM's ordinary trust manager (the one the
 *       caller passes in, e.g. the un-hooked default), including host name verification through
 *       the socket's or engine's {@code SSLParameters}, so calls to public HTTPS APIs keep
 *       working; except when its host matches {@code LANYARD_MESH_HOSTS}: mesh destinations must
 *       present an SVID.
 *   <li>A client without a SPIFFE ID is refused (mesh ports require an SVID; ports that must
 *       accept other clients are configured not to request client certificates at all).
 * </ul>
 *
 * Every refusal throws {@link CertificateException} whose message starts with {@code lanyard:}
 * and names the local SPIFFE ID, the peer, the direction and the reason; every decision goes to
 * the {@link DecisionListener}.
 */
public final class LanyardTrustManager extends X509ExtendedTrustManager {
  private final SvidSource source;
  private final FirstSvidWait firstSvid;
  private final PeerPolicy policy;
  private final HostGlobs meshHosts;
  private final X509TrustManager webPki;
  private final DecisionListener listener;
  private final SvidValidator validator;
  private final SessionPolicy sessions;

  LanyardTrustManager(SvidSource source, FirstSvidWait firstSvid, PeerPolicy policy,
      HostGlobs meshHosts, X509TrustManager webPki, DecisionListener listener, Clock clock) {
    this(source, firstSvid, policy, meshHosts, webPki, listener, clock, null);
  }

  /** With {@code sessions}, no session of a verified peer is resumed past either SVID's life. */
  LanyardTrustManager(SvidSource source, FirstSvidWait firstSvid, PeerPolicy policy,
      HostGlobs meshHosts, X509TrustManager webPki, DecisionListener listener, Clock clock,
      SessionPolicy sessions) {
    this.source = Objects.requireNonNull(source, "source");
    this.firstSvid = Objects.requireNonNull(firstSvid, "firstSvid");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.meshHosts = Objects.requireNonNull(meshHosts, "meshHosts");
    this.webPki = Objects.requireNonNull(webPki, "webPki");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.validator = new SvidValidator(clock);
    this.sessions = sessions;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain, authType, Direction.INBOUND, Peer.UNKNOWN);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain, authType, Direction.INBOUND, Peer.of(socket));
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain, authType, Direction.INBOUND, Peer.of(engine));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain, authType, Direction.OUTBOUND, Peer.UNKNOWN);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain, authType, Direction.OUTBOUND, Peer.of(socket));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain, authType, Direction.OUTBOUND, Peer.of(engine));
  }

  /** The SPIFFE authorities (sent in CertificateRequest); the Web PKI roots are not advertised. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return source.bundles().allAuthorities();
  }

  private void verify(X509Certificate[] chain, String authType, Direction direction, Peer peer)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw refuse(base(direction, peer).rule("certificate").reason("the peer sent no certificate"));
    }
    if (Certificates.firstSpiffeUri(chain[0]).isPresent()) {
      verifySpiffePeer(chain, direction, peer);
    } else {
      verifyOtherPeer(chain, authType, direction, peer);
    }
  }

  private void verifySpiffePeer(X509Certificate[] chain, Direction direction, Peer peer)
      throws CertificateException {
    String claimed = Certificates.firstSpiffeUri(chain[0]).orElse(null);
    Identity local;
    try {
      local = firstSvid.identity();
    } catch (NoSvidException e) {
      throw refuse(base(direction, peer).claimedSpiffeId(claimed).rule("startup")
          .reason(e.getMessage().substring("lanyard: ".length())));
    }
    SpiffeId peerId;
    try {
      peerId = validator.validate(Arrays.asList(chain), source.bundles());
    } catch (InvalidSvidException e) {
      throw refuse(base(direction, peer).local(local.spiffeId().toString()).claimedSpiffeId(claimed)
          .rule("x509-svid:" + e.reason().code()).reason(e.getMessage()));
    }
    PeerDecision decision = policy.authorize(local.spiffeId(), peerId, direction).toBuilder()
        .peerAddress(peer.address)
        .peerNotAfter(chain[0].getNotAfter().toInstant())
        .peerSerial(chain[0].getSerialNumber().toString(16))
        .build();
    listener.onDecision(decision);
    if (!decision.allowed()) {
      throw new CertificateException(decision.refusalMessage());
    }
    keepFromOutliving(peer, chain[0], local.notAfter());
  }

  private void keepFromOutliving(Peer peer, X509Certificate leaf, Instant localNotAfter) {
    if (sessions != null) {
      sessions.keepFromOutliving(peer.handshakeSession(), leaf.getNotAfter().toInstant(),
          localNotAfter);
    }
  }

  private void verifyOtherPeer(X509Certificate[] chain, String authType, Direction direction,
      Peer peer) throws CertificateException {
    String subject = chain[0].getSubjectX500Principal().getName();
    PeerDecision.Builder decision = base(direction, peer).peerSubject(subject);
    if (direction == Direction.INBOUND) {
      throw refuse(decision.rule("client-svid-required").reason("the client certificate \""
          + subject + "\" carries no SPIFFE ID; this port requires an X.509-SVID (list the port in "
          + ConfigKeys.PLAIN_PORTS.env() + " to serve non-mesh clients)"));
    }
    Optional<String> meshGlob = meshHosts.match(peer.host);
    if (meshGlob.isPresent()) {
      throw refuse(decision.rule(ConfigKeys.MESH_HOSTS.env()).reason("mesh destination "
          + peer.host + " must present a SPIFFE SVID (it matches " + ConfigKeys.MESH_HOSTS.env()
          + " pattern " + meshGlob.get() + ") but presented \"" + subject + "\""));
    }
    try {
      if (webPki instanceof X509ExtendedTrustManager && peer.engine != null) {
        ((X509ExtendedTrustManager) webPki).checkServerTrusted(chain, authType, peer.engine);
      } else if (webPki instanceof X509ExtendedTrustManager && peer.socket != null) {
        ((X509ExtendedTrustManager) webPki).checkServerTrusted(chain, authType, peer.socket);
      } else {
        webPki.checkServerTrusted(chain, authType);
      }
    } catch (CertificateException e) {
      throw refuse(decision.rule("web-pki").reason("not a SPIFFE peer, and the JVM's default"
          + " trust rules reject it: " + e.getMessage()), e);
    }
    listener.onDecision(decision.outcome(PeerDecision.Outcome.ALLOWED).rule("web-pki")
        .reason("not a SPIFFE peer; accepted by the JVM's default trust store and host name rules")
        .peerNotAfter(chain[0].getNotAfter().toInstant())
        .peerSerial(chain[0].getSerialNumber().toString(16))
        .build());
    keepFromOutliving(peer, chain[0], firstSvid.now().map(Identity::notAfter).orElse(null));
  }

  private PeerDecision.Builder base(Direction direction, Peer peer) {
    return PeerDecision.builder(direction, PeerDecision.Outcome.DENIED)
        .local(firstSvid.now().map(identity -> identity.spiffeId().toString()).orElse(null))
        .peerAddress(peer.address);
  }

  private CertificateException refuse(PeerDecision.Builder builder) {
    return refuse(builder, null);
  }

  private CertificateException refuse(PeerDecision.Builder builder, Throwable cause) {
    PeerDecision decision = builder.outcome(PeerDecision.Outcome.DENIED).build();
    listener.onDecision(decision);
    return new CertificateException(decision.refusalMessage(), cause);
  }

  /** What the TLS stack tells us about the other end. */
  private static final class Peer {
    static final Peer UNKNOWN = new Peer(null, -1, null, null);

    final String host;
    final String address;
    final Socket socket;
    final SSLEngine engine;

    private Peer(String host, int port, Socket socket, SSLEngine engine) {
      this.host = host;
      this.address = host == null ? null : port > 0 ? host + ":" + port : host;
      this.socket = socket;
      this.engine = engine;
    }

    /** The session of the handshake under way, or null. */
    SSLSession handshakeSession() {
      if (engine != null) {
        return engine.getHandshakeSession();
      }
      return socket instanceof SSLSocket ? ((SSLSocket) socket).getHandshakeSession() : null;
    }

    static Peer of(SSLEngine engine) {
      if (engine == null) {
        return UNKNOWN;
      }
      return new Peer(engine.getPeerHost(), engine.getPeerPort(), null, engine);
    }

    static Peer of(Socket socket) {
      if (socket == null) {
        return UNKNOWN;
      }
      // The handshake session carries the host name the client asked for (not a reverse lookup).
      if (socket instanceof SSLSocket) {
        SSLSession session = ((SSLSocket) socket).getHandshakeSession();
        if (session != null && session.getPeerHost() != null) {
          return new Peer(session.getPeerHost(), session.getPeerPort(), socket, null);
        }
      }
      if (socket.getInetAddress() == null) {
        return new Peer(null, -1, socket, null);
      }
      return new Peer(socket.getInetAddress().getHostAddress(), socket.getPort(), socket, null);
    }
  }
}
