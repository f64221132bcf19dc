package dev.lanyard.tls;

import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.ServerIds;
import dev.lanyard.config.StartupPolicy;
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

  private LanyardTrustManager trustManager(String allowedPeers, String serverIds,
      SpiffePeerListener spiffePeers) {
    return new LanyardTrustManager(source, new FirstSvidWait(source, StartupPolicy.parse("wait=0s")),
        PeerPolicy.parse(allowedPeers), MeshDestinations.DEFAULT, ServerIds.parse(serverIds),
        webPki, decisions::add, Clock.systemUTC(), null, spiffePeers);
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

    assertThat(decisions.get(0).rule()).isEqualTo("allowed_peers");
    assertThat(decisions.get(0).matched()).contains("spiffe://other.test/**");
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
    assertThat(decisions.get(0).rule()).isEqualTo("expired");
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
    assertThat(decision.rule()).isEqualTo("web_pki");
    assertThat(decision.peerSubject()).contains("CN=api.example.com");
  }

  @Test
  void passesTheSocketOnToo() throws Exception {
    X509Certificate[] chain = ca.webServer("api.example.com").chainArray();
    LanyardTrustManager trustManager = trustManager("");

    try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1,
            java.net.InetAddress.getLoopbackAddress());
        Socket socket = new Socket(listener.getInetAddress(), listener.getLocalPort())) {
      trustManager.checkServerTrusted(chain, "ECDHE_ECDSA", socket);
    }

    assertThat(webPki.calls).containsExactly("server/socket");
  }

  /** No host known (the bare overload, an unconnected socket): fail closed, an SVID is needed. */
  @Test
  void aServerWithoutAnyKnownHostMustPresentAnSvid() {
    X509Certificate[] chain = ca.webServer("api.example.com").chainArray();
    LanyardTrustManager trustManager = trustManager("");

    assertThatThrownBy(() -> trustManager.checkServerTrusted(chain, "ECDHE_ECDSA"))
        .hasMessageContaining("mesh destination (unknown host) must present a SPIFFE SVID (no host"
            + " name or address is known for this connection");
    assertThatThrownBy(() -> trustManager.checkServerTrusted(chain, "ECDHE_ECDSA", new Socket()))
        .hasMessageContaining("must present a SPIFFE SVID");
    assertThat(decisions).allSatisfy(d -> assertThat(d.rule()).isEqualTo(MeshDestinations.NO_HOST.code()));
    assertThat(webPki.calls).isEmpty();
  }

  /** Secure naming: an SVID is no server identity for a host that is not a mesh destination. */
  @Test
  void anSvidPresentedForAnExternalHostIsJudgedByWebPkiAloneAndRefused() {
    webPki.reject = true;
    X509Certificate[] chain = ca.leaf(PEER).chainArray();
    List<String> accepted = new CopyOnWriteArrayList<>();

    assertThatThrownBy(() -> trustManager("", "", (leaf, direction, host) -> accepted.add(host))
        .checkServerTrusted(chain, "ECDHE_ECDSA", engine("api.stripe.com", 443)))
        .hasMessage("lanyard: refused outbound TLS to peer " + PEER + " (unverified) at"
            + " api.stripe.com:443 (local " + LOCAL + "): X.509-SVID " + PEER + " is no identity"
            + " for api.stripe.com: it is not a mesh destination (external_destination_public_name:"
            + " api.stripe.com has three or more labels and matches no LANYARD_MESH_HOSTS pattern),"
            + " so only Web PKI applies, and the JVM's trust rules reject the certificate: No name"
            + " matching api.example.com found; if api.stripe.com is a mesh service, add it to"
            + " LANYARD_MESH_HOSTS");
    assertThat(webPki.calls).containsExactly("server/engine");
    assertThat(decisions).singleElement().satisfies(d -> {
      assertThat(d.rule()).isEqualTo("svid_for_external_host");
      assertThat(d.peerSpiffeId()).contains(PEER);
      assertThat(d.peerIdVerified()).isFalse();
    });
    assertThat(accepted).isEmpty();
  }

  @Test
  void serverIdsDecideWhichSvidMayServeAMeshHost() throws Exception {
    String payments = "spiffe://lanyard.test/ns/prod/sa/payments";
    List<String> accepted = new CopyOnWriteArrayList<>();
    LanyardTrustManager trustManager = trustManager("",
        "payments.prod=" + payments + ",payments.prod=spiffe://lanyard.test/ns/prod/sa/canary",
        (leaf, direction, host) -> accepted.add(host));

    trustManager.checkServerTrusted(ca.leaf(payments).chainArray(), "ECDHE_ECDSA",
        engine("Payments.Prod.", 443));
    assertThatThrownBy(() -> trustManager.checkServerTrusted(ca.leaf(PEER).chainArray(),
        "ECDHE_ECDSA", engine("payments.prod", 443)))
        .hasMessage("lanyard: refused outbound TLS to peer " + PEER + " at payments.prod:443"
            + " (local " + LOCAL + "): server " + PEER + " is not allowed to serve payments.prod:"
            + " LANYARD_SERVER_IDS allows only [" + payments
            + ", spiffe://lanyard.test/ns/prod/sa/canary] for payments.prod (payments.prod is a"
            + " two-label name (service.namespace, reached through the DNS search path); list it"
            + " in LANYARD_EXTERNAL_HOSTS if it is a public host); if " + PEER + " should serve"
            + " payments.prod, add payments.prod=" + PEER + " there (pod annotation"
            + " lanyard.dev/server-ids)");

    assertThat(accepted).containsExactly("payments.prod");
    assertThat(decisions).extracting(PeerDecision::rule)
        .containsExactly("same_trust_domain", "server_ids");
    assertThat(decisions.get(0).reason()).contains("LANYARD_SERVER_IDS payments.prod=" + payments
        + " allows it to serve payments.prod");
    // Another mesh host without a statement still gets the peer policy.
    trustManager.checkServerTrusted(ca.leaf(PEER).chainArray(), "ECDHE_ECDSA",
        engine("orders", 443));
    assertThat(accepted).containsExactly("payments.prod", "orders");
  }

  /** Secure naming narrows the peer policy, never widens it. */
  @Test
  void aServerIdStatementDoesNotWidenThePeerPolicy() {
    assertThatThrownBy(() -> trustManager("spiffe://lanyard.test/ns/ml/*",
        "orders=" + PEER, SpiffePeerListener.NONE)
        .checkServerTrusted(ca.leaf(PEER).chainArray(), "ECDHE_ECDSA", engine("orders", 443)))
        .hasMessageContaining("matches none of LANYARD_ALLOWED_PEERS");
  }

  /** The pod's own loopback: an SVID is authorized by the peer policy, other certificates by Web PKI. */
  @Test
  void onLoopbackTheCertificateDecides() throws Exception {
    List<String> accepted = new CopyOnWriteArrayList<>();
    LanyardTrustManager trustManager = trustManager("", "",
        (leaf, direction, host) -> accepted.add(host));

    trustManager.checkServerTrusted(ca.leaf(PEER).chainArray(), "ECDHE_ECDSA",
        engine("localhost", 8443));
    trustManager.checkServerTrusted(ca.webServer("localhost").chainArray(), "ECDHE_ECDSA",
        engine("127.0.0.1", 8443));

    assertThat(accepted).containsExactly("localhost");
    assertThat(webPki.calls).containsExactly("server/engine");
    assertThat(decisions).extracting(PeerDecision::rule)
        .containsExactly("same_trust_domain", "web_pki");
  }

  /**
   * The sidecar's mesh hops: what Web PKI would accept (loopback, an external host) is refused in
   * the trust decision, so the one decision recorded is the refusal, never an "allowed".
   */
  @Test
  void aMeshHopRefusesWhatWebPkiWouldAcceptAndRecordsOnlyTheRefusal() throws Exception {
    LanyardTrustManager meshHops = trustManager("", "", SpiffePeerListener.NONE).requiringSvid();

    assertThatThrownBy(() -> meshHops.checkServerTrusted(
        ca.webServer("localhost").chainArray(), "ECDHE_ECDSA", engine("localhost", 8443)))
        .hasMessage("lanyard: refused outbound TLS to peer \"CN=localhost\" at localhost:8443"
            + " (local " + LOCAL + "): the sidecar's mesh hop to localhost requires an X.509-SVID,"
            + " but the server presented \"CN=localhost\" (a certificate without SPIFFE ID is no"
            + " mesh peer, even one Web PKI trusts); reach servers that are not mesh workloads"
            + " through the forward proxy's CONNECT tunnel, not through a mesh route");
    assertThatThrownBy(() -> meshHops.checkServerTrusted(ca.leaf(PEER).chainArray(),
        "ECDHE_ECDSA", engine("api.stripe.com", 443)))
        .hasMessageContaining("presented X.509-SVID " + PEER + ", which is no identity for"
            + " api.stripe.com (not a mesh destination: external_destination_public_name)");
    meshHops.checkServerTrusted(ca.leaf(PEER).chainArray(), "ECDHE_ECDSA", engine("orders", 443));

    assertThat(decisions).extracting(d -> d.outcome() + " " + d.rule()).containsExactly(
        "DENIED mesh_hop_requires_svid", "DENIED mesh_hop_requires_svid",
        "ALLOWED same_trust_domain");
  }

  @Test
  void singleAndTwoLabelNamesAndClusterIpsMustPresentAnSvid() {
    X509Certificate[] chain = ca.webServer("orders").chainArray();
    for (String host : List.of("orders", "orders.prod", "10.96.0.10")) {
      assertThatThrownBy(() -> trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA",
          engine(host, 443)))
          .hasMessageContaining("mesh destination " + host + " must present a SPIFFE SVID");
    }
    assertThat(decisions).extracting(PeerDecision::rule).containsExactly(
        MeshDestinations.SINGLE_LABEL.code(), MeshDestinations.TWO_LABEL.code(),
        MeshDestinations.IP_ADDRESS.code());
    assertThat(webPki.calls).isEmpty();
  }

  @Test
  void reportsTheJvmTrustManagersRefusalAsLanyards() {
    webPki.reject = true;
    X509Certificate[] chain = ca.webServer("api.example.com").chainArray();

    assertThatThrownBy(() -> trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA",
        engine("api.example.com", 443)))
        .hasMessage("lanyard: refused outbound TLS to peer \"CN=api.example.com\" at"
            + " api.example.com:443 (local " + LOCAL + "): not a SPIFFE peer, and the JVM's default"
            + " trust rules reject it for api.example.com (external_destination_public_name): No"
            + " name matching api.example.com found")
        .hasCauseInstanceOf(CertificateException.class);
  }

  @Test
  void refusesAMeshDestinationWithoutSvidBeforeAskingTheJvm() {
    X509Certificate[] chain = ca.webServer("payments.prod.svc.cluster.local").chainArray();

    assertThatThrownBy(() -> trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA",
        engine("payments.prod.svc.cluster.local", 443)))
        .hasMessageEndingWith("mesh destination payments.prod.svc.cluster.local must present a"
            + " SPIFFE SVID (payments.prod.svc.cluster.local matches LANYARD_MESH_HOSTS pattern"
            + " *.svc.cluster.local) but"
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

  /**
   * {@code SPIFFE://} is a claim to a SPIFFE ID (URI schemes are case-insensitive), refused as a
   * malformed SVID in both directions, never passed to Web PKI as "no SPIFFE ID".
   */
  @Test
  void anUpperCaseSpiffeSchemeIsAClaimRefusedAsAMalformedSvid() {
    String upper = "SPIFFE://lanyard.test/ns/pay/sa/api";
    X509Certificate[] chain = ca.leaf(upper).dns("orders").chainArray();

    assertThatThrownBy(() -> trustManager("").checkServerTrusted(chain, "ECDHE_ECDSA",
        engine("orders", 443)))
        .hasMessageContaining("peer " + upper + " (unverified) at orders:443")
        .hasMessageContaining("URI SAN " + upper + " is not a valid SPIFFE ID");
    assertThatThrownBy(() -> trustManager("").checkClientTrusted(chain, "UNKNOWN",
        engine(null, -1)))
        .hasMessageContaining("URI SAN " + upper + " is not a valid SPIFFE ID");
    assertThat(webPki.calls).isEmpty();
    assertThat(decisions).extracting(PeerDecision::rule)
        .containsExactly("malformed_spiffe_id", "malformed_spiffe_id");
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
