package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;

class LanyardTrustManagerTest {
  private static final String LOCAL = "spiffe://lanyard.test/ns/shop/sa/web";
  private static final String PEER = "spiffe://lanyard.test/ns/pay/sa/api";

  private final TestCa ca = TestCa.root("lanyard.test");
  private final FakeSvidSource source = new FakeSvidSource(ca.svid(LOCAL), ca.bundles());
  private final List<PeerDecision> decisions = new CopyOnWriteArrayList<>();
  private final RecordingWebPki webPki = new RecordingWebPki();

  private LanyardTrustManager trustManager(String allowedPeers) {
    return trustManager(source, allowedPeers, "wait=0s");
  }

  private LanyardTrustManager trustManager(FakeSvidSource src, String allowedPeers, String startup) {
    return new LanyardTrustManager(src, new FirstSvidWait(src, StartupPolicy.parse(startup)),
        PeerPolicy.parse(allowedPeers), HostGlobs.parse(HostGlobs.DEFAULT_MESH_HOSTS), webPki,
        decisions::add, Clock.systemUTC());
  }

  @Test
  void acceptsAnAuthorizedSpiffePeerWithoutAnyHostNameCheck() throws Exception {
    X509Certificate[] chain = ca.leaf(PEER).chainArray();

    trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.1.2.3", 8443));

    assertThat(webPki.calls).isEmpty();
    PeerDecision decision = decisions.get(0);
    assertThat(decision.outcome()).isEqualTo(PeerDecision.Outcome.ALLOWED);
    assertThat(decision.peerSpiffeId()).contains(PEER);
    assertThat(decision.localSpiffeId()).contains(LOCAL);
    assertThat(decision.direction()).isEqualTo(Direction.OUTBOUND);
    assertThat(decision.peerAddress()).contains("10.1.2.3:8443");
    assertThat(decision.peerNotAfter()).contains(chain[0].getNotAfter().toInstant());
    assertThat(decision.peerIdVerified()).isTrue();
  }

  @Test
  void refusesAnUnauthorizedServerNamingEverything() {
    X509Certificate[] chain = ca.leaf(PEER).chainArray();

    assertThatThrownBy(() -> trustManager("spiffe://lanyard.test/ns/ml/*")
        .checkServerTrusted(chain, "ECDHE_ECDSA", engine("api.pay.svc", 443)))
        .isInstanceOf(CertificateException.class)
        .hasMessage("lanyard: refused outbound TLS to peer " + PEER + " at api.pay.svc:443 (local "
            + LOCAL + "): peer " + PEER + " matches none of LANYARD_ALLOWED_PEERS"
            + " [spiffe://lanyard.test/ns/ml/*]; add it there (pod annotation"
            + " lanyard.dev/allowed-peers) to allow it");
    assertThat(decisions).singleElement()
        .satisfies(d -> assertThat(d.outcome()).isEqualTo(PeerDecision.Outcome.DENIED));
  }

  @Test
  void refusesAClientFromAnotherTrustDomain() {
    TestCa other = TestCa.root("other.test");
    FakeSvidSource federated = new FakeSvidSource(ca.svid(LOCAL), TrustBundles.of(java.util.Map.of(
        "lanyard.test", java.util.Set.of(ca.certificate()),
        "other.test", java.util.Set.of(other.certificate()))));
    X509Certificate[] chain = other.leaf("spiffe://other.test/ns/x/sa/y").chainArray();

    assertThatThrownBy(() -> trustManager(federated, "", "wait=0s")
        .checkClientTrusted(chain, "UNKNOWN", engine(null, -1)))
        .hasMessageStartingWith("lanyard: refused inbound TLS from peer spiffe://other.test/ns/x/sa/y"
            + " (local " + LOCAL + "): peer spiffe://other.test/ns/x/sa/y is outside the local"
            + " trust domain lanyard.test");
  }

  @Test
  void acceptsAFederatedPeerThePolicyLists() throws Exception {
    TestCa other = TestCa.root("other.test");
    FakeSvidSource federated = new FakeSvidSource(ca.svid(LOCAL), TrustBundles.of(java.util.Map.of(
        "lanyard.test", java.util.Set.of(ca.certificate()),
        "other.test", java.util.Set.of(other.certificate()))));

    trustManager(federated, "spiffe://other.test/**", "wait=0s")
        .checkClientTrusted(other.leaf("spiffe://other.test/a/b").chainArray(), "UNKNOWN",
            engine(null, -1));

    assertThat(decisions.get(0).rule()).isEqualTo("spiffe://other.test/**");
  }

  @Test
  void refusesAnInvalidSvidEvenInAuditMode() {
    Instant now = Instant.now();
    X509Certificate[] expired = ca.leaf(PEER).validity(now.minusSeconds(7200), now.minusSeconds(3600))
        .chainArray();

    assertThatThrownBy(() -> trustManager("audit").checkServerTrusted(expired, "ECDHE_ECDSA",
        engine("api.pay.svc", 443)))
        .hasMessageStartingWith("lanyard: refused outbound TLS to peer " + PEER
            + " (unverified) at api.pay.svc:443 (local " + LOCAL + "): X.509-SVID " + PEER
            + " expired at ");
    assertThat(decisions.get(0).rule()).isEqualTo("x509-svid:expired");
    assertThat(decisions.get(0).peerIdVerified()).isFalse();
  }

  @Test
  void auditModeLetsAWouldBeDenialThroughAndRecordsIt() throws Exception {
    trustManager("audit,spiffe://lanyard.test/ns/ml/*")
        .checkClientTrusted(ca.leaf(PEER).chainArray(), "UNKNOWN", engine(null, -1));

    assertThat(decisions.get(0).outcome()).isEqualTo(PeerDecision.Outcome.WOULD_DENY);
  }

  @Test
  void handsAServerWithoutSpiffeIdToTheJvmTrustManagerWithTheSameEngine() throws Exception {
    X509Certificate[] chain = ca.webServer("api.example.com").chainArray();
    SSLEngine engine = engine("api.example.com", 443);

    trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA", engine);

    assertThat(webPki.calls).containsExactly("server/engine");
    assertThat(webPki.lastEngine).isSameAs(engine);
    PeerDecision decision = decisions.get(0);
    assertThat(decision.outcome()).isEqualTo(PeerDecision.Outcome.ALLOWED);
    assertThat(decision.rule()).isEqualTo("web-pki");
    assertThat(decision.peerSubject()).contains("CN=api.example.com");
  }

  @Test
  void passesTheSocketAndTheBareOverloadOnToo() throws Exception {
    X509Certificate[] chain = ca.webServer("api.example.com").chainArray();
    LanyardTrustManager trustManager = trustManager("");

    trustManager.checkServerTrusted(chain, "ECDHE_ECDSA", new Socket());
    trustManager.checkServerTrusted(chain, "ECDHE_ECDSA");

    assertThat(webPki.calls).containsExactly("server/socket", "server");
  }

  @Test
  void reportsTheJvmTrustManagersRefusalAsLanyards() {
    webPki.reject = true;
    X509Certificate[] chain = ca.webServer("api.example.com").chainArray();

    assertThatThrownBy(() -> trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA",
        engine("api.example.com", 443)))
        .hasMessage("lanyard: refused outbound TLS to peer \"CN=api.example.com\" at"
            + " api.example.com:443 (local " + LOCAL + "): not a SPIFFE peer, and the JVM's default"
            + " trust rules reject it: No name matching api.example.com found")
        .hasCauseInstanceOf(CertificateException.class);
  }

  @Test
  void refusesAMeshDestinationWithoutSvidBeforeAskingTheJvm() {
    X509Certificate[] chain = ca.webServer("payments.prod.svc.cluster.local").chainArray();

    assertThatThrownBy(() -> trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA",
        engine("payments.prod.svc.cluster.local", 443)))
        .hasMessageEndingWith("mesh destination payments.prod.svc.cluster.local must present a"
            + " SPIFFE SVID (it matches LANYARD_MESH_HOSTS pattern *.svc.cluster.local) but"
            + " presented \"CN=payments.prod.svc.cluster.local\"");
    assertThat(webPki.calls).isEmpty();
  }

  @Test
  void refusesAClientWithoutSpiffeId() {
    X509Certificate[] chain = ca.webServer("laptop.example.com").chainArray();

    assertThatThrownBy(() -> trustManager("").checkClientTrusted(chain, "UNKNOWN", engine(null, -1)))
        .hasMessage("lanyard: refused inbound TLS from peer \"CN=laptop.example.com\" (local "
            + LOCAL + "): the client certificate \"CN=laptop.example.com\" carries no SPIFFE ID;"
            + " this port requires an X.509-SVID (list the port in LANYARD_PLAIN_PORTS to serve"
            + " non-mesh clients)");
    assertThat(webPki.calls).isEmpty();
  }

  @Test
  void withoutAnSvidASpiffePeerIsRefusedNamingLanyardAndTheSocket() {
    FakeSvidSource empty = new FakeSvidSource();
    empty.lastError("UNAVAILABLE: io exception");

    assertThatThrownBy(() -> trustManager(empty, "", "wait=0s,then=degrade")
        .checkServerTrusted(ca.leaf(PEER).chainArray(), "ECDHE_ECDSA", engine("api.pay.svc", 443)))
        .hasMessage("lanyard: refused outbound TLS to peer " + PEER + " (unverified) at"
            + " api.pay.svc:443 (local has no X.509-SVID yet): no X.509-SVID from the SPIRE Workload API at "
            + FakeSvidSource.ADDRESS + " after 0s (LANYARD_STARTUP=wait=0s,then=degrade); last"
            + " error: UNAVAILABLE: io exception. Check that the SPIRE Agent socket is mounted"
            + " there and that a registration entry matches this workload");
  }

  @Test
  void withoutAnSvidPublicHttpsStillWorks() throws Exception {
    FakeSvidSource empty = new FakeSvidSource();

    trustManager(empty, "", "wait=0s").checkServerTrusted(
        ca.webServer("api.example.com").chainArray(), "ECDHE_ECDSA", engine("api.example.com", 443));

    assertThat(decisions.get(0).localSpiffeId()).isEmpty();
    assertThat(decisions.get(0).allowed()).isTrue();
  }

  @Test
  void theFirstHandshakeWaitsForTheFirstSvidWithinTheStartupWait() throws Exception {
    FakeSvidSource late = new FakeSvidSource();
    LanyardTrustManager trustManager = trustManager(late, "", "wait=10s");
    Thread agent = new Thread(() -> {
      sleep(300);
      late.update(ca.svid(LOCAL), ca.bundles());
    });
    agent.start();

    trustManager.checkServerTrusted(ca.leaf(PEER).chainArray(), "ECDHE_ECDSA", engine("a.svc", 1));

    assertThat(decisions.get(0).allowed()).isTrue();
    agent.join();
  }

  @Test
  void advertisesOnlyTheSpiffeAuthorities() {
    assertThat(trustManager("").getAcceptedIssuers()).containsExactly(ca.certificate());
  }

  @Test
  void refusesAnEmptyChain() {
    assertThatThrownBy(() -> trustManager("").checkClientTrusted(new X509Certificate[0], "UNKNOWN"))
        .hasMessageEndingWith("the peer sent no certificate");
  }

  private static SSLEngine engine(String host, int port) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, null, null);
      return host == null ? context.createSSLEngine() : context.createSSLEngine(host, port);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stands in for the JVM's trust manager and records which overload Lanyard called. */
  static final class RecordingWebPki extends X509ExtendedTrustManager {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile boolean reject;
    volatile SSLEngine lastEngine;

    private void record(String call) throws CertificateException {
      calls.add(call);
      if (reject) {
        throw new CertificateException("No name matching api.example.com found");
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      record("client/socket");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      record("server/socket");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      record("client/engine");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      lastEngine = engine;
      record("server/engine");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      record("client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      record("server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
