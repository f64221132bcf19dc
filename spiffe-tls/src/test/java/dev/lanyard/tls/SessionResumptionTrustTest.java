package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 9 point 8: session resumption cannot outlive trust. A resumed session skips the trust
 * manager, so once the peer's SVID has expired, or its CA has left our bundle, a Lanyard endpoint
 * must refuse to resume: the next connection makes a full handshake, which the trust manager
 * refuses.
 *
 * <p>The peer here is deliberately lax, as a non-Lanyard or misbehaving peer could be: plain JSSE
 * presenting a fixed certificate (also after it expired), trusting anything, and resuming whenever
 * it can. Only Lanyard's side (its {@link SessionPolicy} and trust manager) stands between it and
 * a resumed session. Both roles (Lanyard as client, Lanyard as server), TLS 1.3 (tickets, kept
 * stateful by {@link SessionPolicy#disableStatelessServerTickets()}) and TLS 1.2 (session IDs).
 *
 * <p>A full handshake is told from a resumed one by Lanyard's trust decisions: the trust manager
 * runs (and reports a decision) only in a full handshake.
 */
class SessionResumptionTrustTest {
  private static final String LANYARD = "spiffe://lanyard.test/ns/pay/sa/api";
  private static final String PEER = "spiffe://lanyard.test/ns/shop/sa/web";
  private static final Duration PEER_LIFE = Duration.ofSeconds(5);

  private final TestCa ca = TestCa.root("lanyard.test");
  /** A second CA of the same trust domain: the one that leaves the bundle. */
  private final TestCa leaving = TestCa.root("lanyard.test");
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private String statelessBefore;

  enum Role { LANYARD_CLIENT, LANYARD_SERVER }

  static List<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
      for (Role role : Role.values()) {
        cases.add(Arguments.of(protocol, role));
      }
    }
    return cases;
  }

  @BeforeEach
  void statefulServerSessions() {
    statelessBefore = System.getProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY);
    SessionPolicy.disableStatelessServerTickets(); // what LanyardTls.start does
  }

  @AfterEach
  void restore() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
    if (statelessBefore == null) {
      System.clearProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY);
    } else {
      System.setProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY, statelessBefore);
    }
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("cases")
  void noResumptionAfterThePeersSvidExpired(String protocol, Role role) throws Exception {
    Instant now = Instant.now();
    Identity peerSvid = ca.leaf(PEER).validity(now.minusSeconds(60), now.plus(PEER_LIFE))
        .identity();
    Pair pair = pair(protocol, role, peerSvid, ca.bundles());

    pair.connect(); // full handshake
    assertThat(pair.decisions).hasSize(1);
    assertThat(pair.decisions.get(0).allowed()).isTrue();

    // The lax peer resumes every 200 ms until its SVID has expired.
    int resumedBeforeExpiry = 0;
    int fullBeforeExpiry = 1;
    List<String> afterExpiry = new ArrayList<>();
    Instant expiry = peerSvid.notAfter();
    while (Instant.now().isBefore(expiry.plusMillis(600))) {
      Thread.sleep(200);
      int decisionsBefore = pair.decisions.size();
      Instant started = Instant.now();
      String outcome;
      try {
        pair.connect();
        outcome = pair.decisions.size() == decisionsBefore ? "resumed" : "full";
      } catch (IOException e) {
        outcome = "failed";
      }
      if (!started.isBefore(expiry)) {
        afterExpiry.add(outcome);
      } else if (outcome.equals("resumed")) {
        resumedBeforeExpiry++;
      } else if (outcome.equals("full")) {
        fullBeforeExpiry++;
      }
    }
    // And once more, well after expiry: a full handshake (a trust decision), refused.
    int decisionsBefore = pair.decisions.size();
    boolean lastSucceeded = succeeds(pair);
    PeerDecision last = pair.decisions.size() > decisionsBefore
        ? pair.decisions.get(pair.decisions.size() - 1) : null;

    System.out.printf("resumption vs expiry (%s, %s): %d resumed and %d full handshakes while"
            + " the peer SVID was valid; after expiry: %s, then %s%n", protocol, role,
        resumedBeforeExpiry, fullBeforeExpiry, afterExpiry,
        last == null ? "no trust decision" : last.outcome() + " " + last.rule());
    // Behaviour, not a rate: resumption happens while the peer is valid (how often depends on the
    // machine's load), and never after its expiry (below).
    assertThat(resumedBeforeExpiry).as("resumption works while the peer is valid")
        .isPositive();
    assertThat(afterExpiry).as("connections started after the peer's notAfter")
        .isNotEmpty().containsOnly("failed");
    assertThat(lastSucceeded).isFalse();
    assertThat(last).as("the attempt after expiry was a full handshake (not resumed)").isNotNull();
    assertThat(last.allowed()).isFalse();
    assertThat(last.rule()).isIn("chain_not_trusted", "expired", "unknown_trust_domain");
    pair.assertLanyardSideFailed();
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("cases")
  void noResumptionAfterThePeersCaLeftTheBundle(String protocol, Role role) throws Exception {
    Identity peerSvid = leaving.svid(PEER);
    TrustBundles both = TrustBundles.of(Map.of("lanyard.test",
        Set.of(ca.rootCertificate(), leaving.rootCertificate())));
    Pair pair = pair(protocol, role, peerSvid, both);

    pair.connect();
    pair.connect();
    pair.connect();
    assertThat(pair.decisions).as("one full handshake, then resumed").hasSize(1);
    assertThat(pair.decisions.get(0).allowed()).isTrue();

    // The peer's CA leaves the bundle (our own SVID stays the same).
    pair.lanyardSource.update(pair.lanyardSource.current().orElseThrow(), ca.bundles());
    boolean succeeded = succeeds(pair);

    PeerDecision last = pair.decisions.get(pair.decisions.size() - 1);
    System.out.printf("resumption vs bundle (%s, %s): 2 resumed before; after the CA left: %s, %s %s%n",
        protocol, role, succeeded ? "SUCCEEDED" : "failed", last.outcome(), last.rule());
    assertThat(succeeded).as("a connection after the peer's CA left the bundle").isFalse();
    assertThat(pair.decisions).as("that attempt was a full handshake (not resumed)").hasSize(2);
    assertThat(last.allowed()).isFalse();
    assertThat(last.rule()).isIn("chain_not_trusted", "expired", "unknown_trust_domain");
    pair.assertLanyardSideFailed();
  }

  private static boolean succeeds(Pair pair) {
    try {
      pair.connect();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A Lanyard endpoint and a lax plain-JSSE peer in {@code role}, speaking {@code protocol}. */
  private Pair pair(String protocol, Role role, Identity peerSvid, TrustBundles lanyardBundles)
      throws IOException {
    FakeSvidSource source = new FakeSvidSource(ca.svid(LANYARD), lanyardBundles);
    List<PeerDecision> decisions = new CopyOnWriteArrayList<>();
    LanyardTls tls = LanyardTls.builder(LanyardConfig.fromEnv(
            Map.of("LANYARD_ADMIN_ADDRESS", "off"), new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
    tls.addDecisionListener(decisions::add);
    toClose.add(tls);
    SSLContext lanyard = tls.newSslContext();
    SSLContext lax = laxContext(peerSvid);
    EchoServer server = new EchoServer(role == Role.LANYARD_SERVER ? lanyard : lax, protocol);
    toClose.add(server);
    SSLContext client = role == Role.LANYARD_CLIENT ? lanyard : lax;
    return new Pair(source, decisions, server, client, protocol, role);
  }

  /** Plain JSSE: always presents {@code identity}, trusts anything, resumes whenever it can. */
  private static SSLContext laxContext(Identity identity) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {new FixedKeyManager(identity)},
          new TrustManager[] {new TrustAnything()}, null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class Pair {
    final FakeSvidSource lanyardSource;
    final List<PeerDecision> decisions;
    final EchoServer server;
    final SSLContext client;
    final String protocol;
    final Role role;
    /** What the last failed connect threw on the client side. */
    IOException lastClientFailure;

    Pair(FakeSvidSource lanyardSource, List<PeerDecision> decisions, EchoServer server,
        SSLContext client, String protocol, Role role) {
      this.lanyardSource = lanyardSource;
      this.decisions = decisions;
      this.server = server;
      this.client = client;
      this.protocol = protocol;
      this.role = role;
    }

    void connect() throws IOException {
      server.outcomes.clear();
      try {
        SSLSession session = call(client, server.port(), protocol);
        if (!session.getProtocol().equals(protocol)) {
          throw new AssertionError("negotiated " + session.getProtocol());
        }
        lastClientFailure = null;
      } catch (IOException e) {
        lastClientFailure = e;
        throw e;
      } finally {
        try {
          server.outcomes.poll(20, TimeUnit.SECONDS); // the server is done with it
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /** The Lanyard side itself refused (not just the lax peer giving up). */
    void assertLanyardSideFailed() {
      if (role == Role.LANYARD_CLIENT) {
        assertThat(lastClientFailure).isNotNull();
        assertThat(LoopbackTls.causeChain(lastClientFailure)).contains("lanyard");
      }
    }
  }

  /** One fresh connection: handshake, one byte each way (so TLS 1.3 tickets arrive). */
  static SSLSession call(SSLContext context, int port, String protocol) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
      socket.setSoTimeout(20_000);
      SSLSocket tls = (SSLSocket) context.getSocketFactory()
          .createSocket(socket, "api.pay.svc", port, true);
      SSLParameters parameters = tls.getSSLParameters();
      parameters.setProtocols(new String[] {protocol});
      tls.setSSLParameters(parameters);
      tls.startHandshake();
      tls.getOutputStream().write(42);
      tls.getOutputStream().flush();
      if (tls.getInputStream().read() != 42) {
        throw new IOException("echo failed");
      }
      SSLSession session = tls.getSession();
      tls.close();
      return session;
    }
  }

  /** A one-connection-at-a-time echo server on loopback requiring a client certificate. */
  private static final class EchoServer implements AutoCloseable {
    final BlockingQueue<String> outcomes = new LinkedBlockingQueue<>();
    private final SSLServerSocket socket;

    EchoServer(SSLContext context, String protocol) throws IOException {
      socket = (SSLServerSocket) context.getServerSocketFactory()
          .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setNeedClientAuth(true);
      parameters.setProtocols(new String[] {protocol});
      socket.setSSLParameters(parameters);
      Thread thread = new Thread(this::serve, "resumption-echo-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      while (!socket.isClosed()) {
        try (SSLSocket connection = (SSLSocket) socket.accept()) {
          connection.setSoTimeout(20_000);
          try {
            connection.startHandshake();
            InputStream in = connection.getInputStream();
            OutputStream out = connection.getOutputStream();
            int b = in.read();
            if (b < 0) {
              throw new IOException("the client went away");
            }
            out.write(b);
            out.flush();
            in.read(); // until the client closes
            outcomes.add("ok");
          } catch (IOException | RuntimeException e) {
            outcomes.add("failed: " + e);
          }
        } catch (IOException e) {
          if (!socket.isClosed()) {
            outcomes.add("failed: " + e);
          }
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Presents one fixed chain and key, whatever the peer asks for (and however old it is). */
  private static final class FixedKeyManager extends X509ExtendedKeyManager {
    private final Identity identity;

    FixedKeyManager(Identity identity) {
      this.identity = identity;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"peer"};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "peer";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine e) {
      return "peer";
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {"peer"};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return "EC".equals(keyType) ? "peer" : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine e) {
      return "EC".equals(keyType) ? "peer" : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return identity.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return identity.privateKey();
    }
  }

  /** Trusts every peer: the lax peer checks nothing, so only Lanyard's side can refuse. */
  private static final class TrustAnything extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
