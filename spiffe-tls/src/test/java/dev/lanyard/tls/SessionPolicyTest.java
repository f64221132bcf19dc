package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resumption is allowed, but a resumed session skips the trust manager; these tests count trust
 * manager decisions to tell a full handshake (decision made) from a resumed one (none).
 */
class SessionPolicyTest {
  private static final String CLIENT = "spiffe://lanyard.test/ns/shop/sa/web";
  private static final String SERVER = "spiffe://lanyard.test/ns/pay/sa/api";

  private final TestCa ca = TestCa.root("lanyard.test");
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private String statelessBefore;

  @BeforeEach
  void statefulServerSessions() {
    // What the javaagent and sidecar do before creating contexts (see SessionPolicy's Javadoc).
    statelessBefore = System.getProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY);
    SessionPolicy.disableStatelessServerTickets();
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

  private LanyardTls workload(FakeSvidSource source, List<PeerDecision> decisions) {
    LanyardTls tls = LanyardTls.builder(LanyardConfig.fromEnv(
            Map.of("LANYARD_ADMIN_ADDRESS", "off"), new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
    tls.addDecisionListener(decisions::add);
    toClose.add(tls);
    return tls;
  }

  @Test
  void aClientSessionIsResumedUntilOurSvidRotatesButNotAfter() throws Exception {
    List<PeerDecision> serverDecisions = new CopyOnWriteArrayList<>();
    List<PeerDecision> clientDecisions = new CopyOnWriteArrayList<>();
    LoopbackTls.Server server = new LoopbackTls.Server(
        workload(new FakeSvidSource(ca.svid(SERVER), ca.bundles()), serverDecisions).newSslContext(),
        true);
    toClose.add(server);
    FakeSvidSource clientSource = new FakeSvidSource(ca.svid(CLIENT), ca.bundles());
    SSLContext client = workload(clientSource, clientDecisions).newSslContext();

    LoopbackTls.call(client, "api.pay.svc", server.port(), false);
    LoopbackTls.call(client, "api.pay.svc", server.port(), false);
    assertThat(clientDecisions).as("second connection resumed").hasSize(1);
    assertThat(serverDecisions).hasSize(1);

    clientSource.update(ca.svid(CLIENT), ca.bundles()); // rotation
    LoopbackTls.call(client, "api.pay.svc", server.port(), false);

    assertThat(clientDecisions).as("full handshake after rotation").hasSize(2);
    assertThat(serverDecisions).hasSize(2);
  }

  @Test
  void aServerDropsItsSessionsOnRotationEvenForAClientThatStillHoldsOne() throws Exception {
    List<PeerDecision> serverDecisions = new CopyOnWriteArrayList<>();
    FakeSvidSource serverSource = new FakeSvidSource(ca.svid(SERVER), ca.bundles());
    LoopbackTls.Server server = new LoopbackTls.Server(
        workload(serverSource, serverDecisions).newSslContext(), true);
    toClose.add(server);
    // A client whose session cache Lanyard's server cannot reach.
    SSLContext client = workload(new FakeSvidSource(ca.svid(CLIENT), ca.bundles()),
        new CopyOnWriteArrayList<>()).newSslContext();

    LoopbackTls.call(client, "api.pay.svc", server.port(), false);
    LoopbackTls.call(client, "api.pay.svc", server.port(), false);
    assertThat(serverDecisions).as("second connection resumed").hasSize(1);

    serverSource.update(ca.svid(SERVER), ca.bundles());
    LoopbackTls.call(client, "api.pay.svc", server.port(), false);

    assertThat(serverDecisions).as("server verified the client again").hasSize(2);
  }

  @Test
  void theStaticHookDropsTheSessionsOfOneContext() throws Exception {
    List<PeerDecision> clientDecisions = new CopyOnWriteArrayList<>();
    LoopbackTls.Server server = new LoopbackTls.Server(workload(new FakeSvidSource(ca.svid(SERVER),
        ca.bundles()), new CopyOnWriteArrayList<>()).newSslContext(), true);
    toClose.add(server);
    SSLContext client = workload(new FakeSvidSource(ca.svid(CLIENT), ca.bundles()), clientDecisions)
        .newSslContext();
    LoopbackTls.call(client, "api.pay.svc", server.port(), false);
    LoopbackTls.call(client, "api.pay.svc", server.port(), false);
    assertThat(clientDecisions).hasSize(1);

    SessionPolicy.onRotation(client);
    LoopbackTls.call(client, "api.pay.svc", server.port(), false);

    assertThat(clientDecisions).hasSize(2);
  }

  @Test
  void theSessionTimeoutNeverExceedsTheRemainingLifeOfAVerifiedPeer() throws Exception {
    Instant now = Instant.now();
    Identity shortLived = ca.leaf(SERVER).validity(now.minusSeconds(60), now.plusSeconds(100))
        .identity();
    LoopbackTls.Server server = new LoopbackTls.Server(
        workload(new FakeSvidSource(shortLived, ca.bundles()), new CopyOnWriteArrayList<>())
            .newSslContext(), true);
    toClose.add(server);
    LanyardTls clientTls = workload(new FakeSvidSource(ca.svid(CLIENT), ca.bundles()),
        new CopyOnWriteArrayList<>());
    SSLContext client = clientTls.newSslContext();
    assertThat(client.getClientSessionContext().getSessionTimeout()).isEqualTo(86400);

    LoopbackTls.call(client, "api.pay.svc", server.port(), false);

    assertThat(clientTls.sessionPolicy().currentTimeout())
        .isBetween(Duration.ofSeconds(90), Duration.ofSeconds(99));
    assertThat(client.getClientSessionContext().getSessionTimeout()).isBetween(90, 99);
    assertThat(client.getServerSessionContext().getSessionTimeout()).isBetween(90, 99);
  }

  /**
   * TLS 1.3 resumption makes a new session (new creation time, the old peer certificates) each
   * time, so a client resuming more often than the session timeout would chain sessions forever:
   * the timeout alone cannot end them. Here the client's SVID expires while it keeps resuming.
   */
  @Test
  void noResumptionOutlivesAnSvidEvenWhenSessionsAreChainedByFrequentResumption()
      throws Exception {
    Instant now = Instant.now();
    Identity shortLived = ca.leaf(CLIENT).validity(now.minusSeconds(60), now.plusSeconds(4))
        .identity();
    List<PeerDecision> serverDecisions = new CopyOnWriteArrayList<>();
    LoopbackTls.Server server = new LoopbackTls.Server(
        workload(new FakeSvidSource(ca.svid(SERVER), ca.bundles()), serverDecisions)
            .newSslContext(), true);
    toClose.add(server);
    SSLContext client = workload(new FakeSvidSource(shortLived, ca.bundles()),
        new CopyOnWriteArrayList<>()).newSslContext();

    assertResumedUntilExpiryThenRefused(client, server.port(), serverDecisions, shortLived.notAfter());
  }

  /**
   * The same from the client's side, against a server that accepts any client certificate and
   * keeps resuming (as openssl s_server -verify does): the client itself must stop resuming.
   */
  @Test
  void aClientStopsResumingWhenItsOwnSvidExpiresEvenIfTheServerWouldResume() throws Exception {
    Instant now = Instant.now();
    Identity shortLived = ca.leaf(CLIENT).validity(now.minusSeconds(60), now.plusSeconds(4))
        .identity();
    LoopbackTls.Server lenient = new LoopbackTls.Server(lenientServer(ca.svid(SERVER)), true);
    toClose.add(lenient);
    List<PeerDecision> clientDecisions = new CopyOnWriteArrayList<>();
    SSLContext client = workload(new FakeSvidSource(shortLived, ca.bundles()), clientDecisions)
        .newSslContext();

    assertResumedUntilExpiryThenRefused(client, lenient.port(), clientDecisions, shortLived.notAfter());
  }

  /** How one call went, told by whether {@code decisions} grew (a resumed handshake decides nothing). */
  private enum Handshake { FULL, RESUMED, FAILED }

  private static Handshake call(SSLContext client, int port, List<PeerDecision> decisions) {
    int decisionsBefore = decisions.size();
    try {
      LoopbackTls.call(client, "api.pay.svc", port, false);
    } catch (IOException e) {
      return Handshake.FAILED;
    }
    return decisions.size() == decisionsBefore ? Handshake.RESUMED : Handshake.FULL;
  }

  /**
   * Behaviour, not a rate: a full handshake, then resumption, and resumption of the resumed
   * session (TLS 1.3 makes a new session each time, so this is the chain); then calls every
   * 100 ms until 3 s past {@code expiry}, none of which may succeed once the SVID has expired.
   */
  private static void assertResumedUntilExpiryThenRefused(SSLContext client, int port,
      List<PeerDecision> decisions, Instant expiry) throws InterruptedException {
    assertThat(List.of(call(client, port, decisions), call(client, port, decisions),
        call(client, port, decisions)))
        .as("before expiry: a full handshake, then resumed, then resumed from the resumed session")
        .containsExactly(Handshake.FULL, Handshake.RESUMED, Handshake.RESUMED);
    assertThat(Instant.now()).as("the three calls ran before the SVID expired").isBefore(expiry);
    List<Handshake> afterExpiry = new ArrayList<>();
    while (Instant.now().isBefore(expiry.plusSeconds(3))) {
      Instant started = Instant.now();
      Handshake handshake = call(client, port, decisions);
      if (!started.isBefore(expiry)) {
        afterExpiry.add(handshake);
      }
      Thread.sleep(100);
    }
    assertThat(afterExpiry).as("calls after the client's SVID expired").isNotEmpty()
        .containsOnly(Handshake.FAILED);
  }

  /** A plain JSSE server context presenting {@code identity} and trusting any client. */
  private static SSLContext lenientServer(Identity identity) throws Exception {
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("svid", identity.privateKey(), "x".toCharArray(),
        identity.chain().toArray(new java.security.cert.Certificate[0]));
    javax.net.ssl.KeyManagerFactory keys =
        javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, "x".toCharArray());
    javax.net.ssl.X509TrustManager anyone = new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
      }
    };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), new javax.net.ssl.TrustManager[] {anyone}, null);
    return context;
  }

  @Test
  void theTimeoutOnlyGoesDownWithinAnEpochAndResetsOnRotation() {
    SessionPolicy policy = new SessionPolicy(Clock.systemUTC());
    Instant now = Instant.now();

    policy.onDecision(allowedPeerUntil(now.plusSeconds(600)));
    policy.onDecision(allowedPeerUntil(now.plusSeconds(3600)));
    assertThat(policy.currentTimeout()).isBetween(Duration.ofSeconds(590), Duration.ofSeconds(599));

    policy.onDecision(allowedPeerUntil(now.plusMillis(500)));
    assertThat(policy.currentTimeout()).as("never 0, which would mean unlimited")
        .isEqualTo(Duration.ofSeconds(1));

    policy.onRotation();
    assertThat(policy.currentTimeout()).isEqualTo(SessionPolicy.MAX_TIMEOUT);
  }

  @Test
  void deniedPeersDoNotChangeTheTimeout() {
    SessionPolicy policy = new SessionPolicy(Clock.systemUTC());

    policy.onDecision(PeerDecision.builder(Direction.INBOUND, PeerDecision.Outcome.DENIED)
        .rule(Reason.ALLOWED_PEERS).reason("x").peerNotAfter(Instant.now().plusSeconds(5)).build());

    assertThat(policy.currentTimeout()).isEqualTo(SessionPolicy.MAX_TIMEOUT);
  }

  private static PeerDecision allowedPeerUntil(Instant notAfter) {
    return PeerDecision.builder(Direction.OUTBOUND, PeerDecision.Outcome.ALLOWED)
        .rule(Reason.ALLOWED_PEERS).reason("x").peerNotAfter(notAfter).build();
  }
}
