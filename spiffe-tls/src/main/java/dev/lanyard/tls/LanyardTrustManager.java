package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.MeshCidrs;
import dev.lanyard.config.ServerIds;
import dev.lanyard.reasons.Reason;
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
 *   <li>Outbound, the destination decides first ({@link MeshDestinations}, from the host the
 *       client meant to reach, never from the certificate). A mesh destination must present an
 *       X.509-SVID, verified against its trust domain's bundle ({@link SvidValidator}), allowed by
 *       the secure-naming statement for that host ({@link ServerIds}) when there is one, and by
 *       {@link PeerPolicy}. That replaces DNS host name verification: SVIDs carry no DNS names.
 *   <li>The pod's own loopback ({@code localhost}, 127.0.0.1) is no network path: there the
 *       certificate decides as for a mesh peer (SVID) or an external host (anything else).
 *   <li>Any other destination is judged by Web PKI alone, by the JVM's ordinary trust manager
 *       (the one the caller passes in), including host name verification through the socket's
 *       or engine's {@code SSLParameters}, whatever the certificate carries: an SVID is never a
 *       server's identity for {@code api.stripe.com}.
 *   <li>Inbound, a client must present an X.509-SVID allowed by {@link PeerPolicy} (ports that
 *       must accept other clients are configured not to request client certificates at all).
 * </ul>
 *
 * Every refusal throws {@link CertificateException} whose message starts with {@code lanyard:}
 * and names the local SPIFFE ID, the peer, the direction, the host and the reason; every decision
 * goes to the {@link DecisionListener}.
 */
public final class LanyardTrustManager extends X509ExtendedTrustManager {
  private final SvidSource source;
  private final FirstSvidWait firstSvid;
  private final PeerPolicy policy;
  private final MeshDestinations destinations;
  private final ServerIds serverIds;
  private final X509TrustManager webPki;
  private final DecisionListener listener;
  private final SvidValidator validator;
  private final SessionPolicy sessions;
  private final SpiffePeerListener spiffePeers;
  /** A mesh hop (the sidecar's client side): every server must present an accepted X.509-SVID. */
  private final boolean svidRequired;
  private final Clock clock;

  LanyardTrustManager(SvidSource source, FirstSvidWait firstSvid, PeerPolicy policy,
      HostGlobs meshHosts, X509TrustManager webPki, DecisionListener listener, Clock clock) {
    this(source, firstSvid, policy, new MeshDestinations(meshHosts, HostGlobs.NONE,
        MeshCidrs.NONE), ServerIds.NONE, webPki, listener, clock, null, SpiffePeerListener.NONE);
  }

  /**
   * With {@code sessions}, no session of a verified peer is resumed past either SVID's life;
   * {@code spiffePeers} hears of every SVID accepted and the host it was accepted for.
   */
  LanyardTrustManager(SvidSource source, FirstSvidWait firstSvid, PeerPolicy policy,
      MeshDestinations destinations, ServerIds serverIds, X509TrustManager webPki,
      DecisionListener listener, Clock clock, SessionPolicy sessions,
      SpiffePeerListener spiffePeers) {
    this(source, firstSvid, policy, destinations, serverIds, webPki, listener, clock, sessions,
        spiffePeers, false);
  }

  private LanyardTrustManager(SvidSource source, FirstSvidWait firstSvid, PeerPolicy policy,
      MeshDestinations destinations, ServerIds serverIds, X509TrustManager webPki,
      DecisionListener listener, Clock clock, SessionPolicy sessions,
      SpiffePeerListener spiffePeers, boolean svidRequired) {
    this.source = Objects.requireNonNull(source, "source");
    this.firstSvid = Objects.requireNonNull(firstSvid, "firstSvid");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.destinations = Objects.requireNonNull(destinations, "destinations");
    this.serverIds = Objects.requireNonNull(serverIds, "serverIds");
    this.webPki = Objects.requireNonNull(webPki, "webPki");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.validator = new SvidValidator(clock);
    this.sessions = sessions;
    this.spiffePeers = Objects.requireNonNull(spiffePeers, "spiffePeers");
    this.svidRequired = svidRequired;
    this.clock = clock;
  }

  /**
   * This trust manager for the sidecar's mesh hops: a server whose certificate the rules above
   * would accept by Web PKI (at loopback, or at a host that is no mesh destination) is refused
   * instead ({@code mesh_hop_requires_svid}), so the decision recorded is the one enforced.
   */
  public LanyardTrustManager requiringSvid() {
    return new LanyardTrustManager(source, firstSvid, policy, destinations, serverIds, webPki,
        listener, clock, sessions, spiffePeers, true);
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
      throw refuse(base(direction, peer).rule(Reason.NO_CERTIFICATE)
          .reason("the peer sent no certificate"));
    }
    Optional<String> claimed = SpiffeIdClaim.of(chain[0]);
    if (direction == Direction.INBOUND) {
      if (claimed.isPresent()) {
        verifySpiffePeer(chain, direction, peer, null);
      } else {
        String subject = chain[0].getSubjectX500Principal().getName();
        throw refuse(base(direction, peer).peerSubject(subject).rule(Reason.CLIENT_SVID_REQUIRED)
            .reason("the client certificate \"" + subject + "\" carries no SPIFFE ID; this port"
                + " requires an X.509-SVID (list the port in " + ConfigKeys.PLAIN_PORTS.env()
                + " to serve non-mesh clients)"));
      }
      return;
    }
    MeshDestinations.Destination destination = destinations.classify(peer.host);
    if (!destination.acceptsSvid()) {
      verifyWebPki(chain, authType, peer, destination, claimed.orElse(null));
    } else if (claimed.isPresent()) {
      verifySpiffePeer(chain, direction, peer, destination);
    } else if (destination.kind() == MeshDestinations.Kind.LOCAL) {
      verifyWebPki(chain, authType, peer, destination, null);
    } else {
      String subject = chain[0].getSubjectX500Principal().getName();
      throw refuse(base(direction, peer).peerSubject(subject).rule(destination.rule())
          .reason("mesh destination " + hostText(destination) + " must present a SPIFFE SVID ("
              + destination.reason() + ") but presented \"" + subject + "\""));
    }
  }

  private void verifySpiffePeer(X509Certificate[] chain, Direction direction, Peer peer,
      MeshDestinations.Destination destination) throws CertificateException {
    String claimed = SpiffeIdClaim.of(chain[0]).orElse(null);
    Identity local;
    try {
      local = firstSvid.identity();
    } catch (NoSvidException e) {
      throw refuse(base(direction, peer).claimedSpiffeId(claimed).rule(Reason.NO_LOCAL_SVID)
          .reason(e.getMessage().substring("lanyard: ".length())));
    }
    SpiffeId peerId;
    try {
      peerId = validator.validate(Arrays.asList(chain), source.bundles());
    } catch (InvalidSvidException e) {
      throw refuse(base(direction, peer).local(local.spiffeId().toString()).claimedSpiffeId(claimed)
          .rule(e.reason()).reason(e.getMessage()));
    }
    String host = destination == null ? null : destination.host();
    Optional<ServerIds.Statement> statement = serverIds.forHost(host);
    if (statement.isPresent() && !statement.get().allowing(peerId.toString()).isPresent()) {
      throw refuse(base(direction, peer).local(local.spiffeId().toString())
          .peerSpiffeId(peerId.toString()).rule(Reason.SERVER_IDS)
          .matched(statement.get().glob())
          .peerNotAfter(chain[0].getNotAfter().toInstant())
          .peerSerial(chain[0].getSerialNumber().toString(16))
          .reason("server " + peerId + " is not allowed to serve " + host + ": "
              + ConfigKeys.SERVER_IDS.env() + " allows only " + statement.get().patterns()
              + " for " + statement.get().glob() + " (" + destination.reason() + "); if " + peerId
              + " should serve " + host + ", add " + statement.get().glob() + "=" + peerId
              + " there (pod annotation lanyard.dev/server-ids)"));
    }
    PeerDecision decision = policy.authorize(local.spiffeId(), peerId, direction).toBuilder()
        .peerAddress(peer.address)
        .peerNotAfter(chain[0].getNotAfter().toInstant())
        .peerSerial(chain[0].getSerialNumber().toString(16))
        .build();
    if (statement.isPresent() && decision.allowed()) {
      decision = decision.toBuilder().reason(decision.reason() + "; and "
          + ConfigKeys.SERVER_IDS.env() + " " + statement.get().glob() + "="
          + statement.get().allowing(peerId.toString()).get() + " allows it to serve " + host).build();
    }
    listener.onDecision(decision);
    if (!decision.allowed()) {
      throw new CertificateException(decision.refusalMessage());
    }
    spiffePeers.onSpiffePeer(chain[0], direction, host);
    keepFromOutliving(peer, chain[0], local.notAfter());
  }

  private void keepFromOutliving(Peer peer, X509Certificate leaf, Instant localNotAfter) {
    if (sessions != null) {
      sessions.keepFromOutliving(peer.handshakeSession(), leaf.getNotAfter().toInstant(),
          localNotAfter);
    }
  }

  /** A destination that is not a mesh one: Web PKI alone, whatever the certificate carries. */
  private void verifyWebPki(X509Certificate[] chain, String authType, Peer peer,
      MeshDestinations.Destination destination, String claimedSpiffeId)
      throws CertificateException {
    String subject = chain[0].getSubjectX500Principal().getName();
    PeerDecision.Builder decision = base(Direction.OUTBOUND, peer).peerSubject(subject);
    if (claimedSpiffeId != null) {
      decision.claimedSpiffeId(claimedSpiffeId);
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
      if (claimedSpiffeId != null) {
        throw refuse(decision.rule(Reason.SVID_FOR_EXTERNAL_HOST).reason("X.509-SVID "
            + claimedSpiffeId + " is no identity for " + hostText(destination) + ": it is not a"
            + " mesh destination (" + destination.rule() + ": " + destination.reason()
            + "), so only Web PKI applies, and the JVM's trust rules reject the certificate: "
            + e.getMessage() + "; if " + hostText(destination) + " is a mesh service, add it to "
            + ConfigKeys.MESH_HOSTS.env()), e);
      }
      throw refuse(decision.rule(Reason.WEB_PKI).reason("not a SPIFFE peer, and the JVM's default"
          + " trust rules reject it for " + hostText(destination) + " (" + destination.rule()
          + "): " + e.getMessage()), e);
    }
    if (svidRequired) {
      throw refuse(decision.rule(Reason.MESH_HOP_REQUIRES_SVID).reason("the sidecar's mesh hop to "
          + hostText(destination) + " requires an X.509-SVID, but the server presented "
          + (claimedSpiffeId == null ? "\"" + subject + "\" (a certificate without SPIFFE ID is no"
              + " mesh peer, even one Web PKI trusts)"
              : "X.509-SVID " + claimedSpiffeId + ", which is no identity for "
              + hostText(destination) + " (not a mesh destination: " + destination.rule() + ")")
          + "; reach servers that are not mesh workloads through the forward proxy's CONNECT"
          + " tunnel, not through a mesh route"));
    }
    listener.onDecision(decision.outcome(PeerDecision.Outcome.ALLOWED).rule(Reason.WEB_PKI)
        .reason("accepted by the JVM's default trust store and host name rules for "
            + hostText(destination) + " (not a mesh destination: " + destination.rule() + ")"
            + (claimedSpiffeId == null ? "" : "; its SPIFFE ID " + claimedSpiffeId
                + " was not used as its identity"))
        .peerNotAfter(chain[0].getNotAfter().toInstant())
        .peerSerial(chain[0].getSerialNumber().toString(16))
        .build());
    keepFromOutliving(peer, chain[0], firstSvid.now().map(Identity::notAfter).orElse(null));
  }

  private static String hostText(MeshDestinations.Destination destination) {
    return destination.host() == null ? "(unknown host)" : destination.host();
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
