package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real TLS handshakes over loopback between workloads assembled by {@link LanyardTls}. */
class LanyardTlsTest {
  private static final String CLIENT = "spiffe://lanyard.test/ns/shop/sa/web";
  private static final String SERVER = "spiffe://lanyard.test/ns/pay/sa/api";

  private final TestCa ca = TestCa.root("lanyard.test");
  private final ByteArrayOutputStream audit = new ByteArrayOutputStream();
  private final java.util.List<AutoCloseable> toClose = new java.util.ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
  }

  private LanyardTls workload(SvidSource source, Map<String, String> env) {
    Map<String, String> withDefaults = new HashMap<>(env);
    withDefaults.put("LANYARD_ADMIN_ADDRESS", "off");
    LanyardTls tls = LanyardTls.builder(LanyardConfig.fromEnv(withDefaults, new Properties()))
        .svidSource(source)
        .webPkiTrustManager(webPkiTrusting(ca.certificate()))
        .auditOutput(new PrintStream(audit, true, StandardCharsets.UTF_8))
        .build();
    toClose.add(tls);
    return tls;
  }

  private LanyardTls workload(String id, String allowedPeers) {
    return workload(new FakeSvidSource(ca.svid(id), ca.bundles()),
        Map.of("LANYARD_ALLOWED_PEERS", allowedPeers));
  }

  private LoopbackTls.Server serve(LanyardTls tls) throws Exception {
    LoopbackTls.Server server = new LoopbackTls.Server(tls.newSslContext(), true);
    toClose.add(server);
    return server;
  }

  @Test
  void twoWorkloadsSpeakMutualTlsAndEachSeesTheOthersSpiffeId() throws Exception {
    LoopbackTls.Server server = serve(workload(SERVER, ""));

    SSLSession session = LoopbackTls.call(workload(CLIENT, "").newSslContext(),
        "api.pay.svc.cluster.local", server.port(), true);

    assertThat(LoopbackTls.firstUri(session)).isEqualTo(SERVER);
    assertThat(server.next().peerUri).isEqualTo(CLIENT);
    assertThat(session.getProtocol()).isEqualTo("TLSv1.3");
  }

  @Test
  void theServerRefusesAClientItsPolicyDoesNotListAndAuditsIt() throws Exception {
    LanyardTls serverTls = workload(SERVER, "spiffe://lanyard.test/ns/ml/*");
    LoopbackTls.Server server = serve(serverTls);

    Throwable clientError = catchThrowable(() -> LoopbackTls.call(
        workload(CLIENT, "").newSslContext(), "api.pay.svc", server.port(), false));

    assertThat(clientError).isNotNull();
    assertThat(LoopbackTls.causeChain(server.next().failure)).contains("lanyard: refused inbound TLS"
        + " from peer " + CLIENT + " at 127.0.0.1:", "(local " + SERVER + "): peer " + CLIENT
        + " matches none of LANYARD_ALLOWED_PEERS [spiffe://lanyard.test/ns/ml/*]");
    assertThat(audit.toString(StandardCharsets.UTF_8))
        .contains("\"action\":\"tls.accept\"", "\"spiffe_id\":\"" + SERVER + "\"",
            "\"peer_spiffe_id\":\"" + CLIENT + "\"", "\"result\":\"denied\"");
  }

  @Test
  void theClientRefusesAServerItsPolicyDoesNotList() throws Exception {
    LoopbackTls.Server server = serve(workload(SERVER, ""));

    assertThatThrownBy(() -> LoopbackTls.call(
        workload(CLIENT, "spiffe://lanyard.test/ns/ml/*").newSslContext(), "api.pay.svc",
        server.port(), true))
        .isInstanceOf(SSLHandshakeException.class)
        // JDK 17 uses our message as is; newer JDKs prefix the alert, "(certificate_unknown) ".
        .hasMessageContaining("lanyard: refused outbound TLS to peer " + SERVER
            + " at api.pay.svc:" + server.port() + " (local " + CLIENT + ")");
  }

  @Test
  void aPeerFromAnotherTrustDomainIsRefusedBothWays() throws Exception {
    TestCa otherCa = TestCa.root("other.test");
    TrustBundles both = TrustBundles.of(Map.of("lanyard.test", java.util.Set.of(ca.certificate()),
        "other.test", java.util.Set.of(otherCa.certificate())));
    LanyardTls stranger = workload(new FakeSvidSource(otherCa.svid("spiffe://other.test/ns/x/sa/y"),
        both), Map.of("LANYARD_ALLOWED_PEERS", "spiffe://lanyard.test/**"));
    LanyardTls local = workload(new FakeSvidSource(ca.svid(SERVER), both), Map.of());

    LoopbackTls.Server localServer = serve(local);
    catchThrowable(() -> LoopbackTls.call(stranger.newSslContext(), "a.svc", localServer.port(), false));
    assertThat(LoopbackTls.causeChain(localServer.next().failure))
        .contains("peer spiffe://other.test/ns/x/sa/y is outside the local trust domain lanyard.test");

    LoopbackTls.Server strangerServer = serve(stranger);
    assertThatThrownBy(() -> LoopbackTls.call(local.newSslContext(), "b.svc", strangerServer.port(), false))
        .hasMessageContaining("peer spiffe://other.test/ns/x/sa/y is outside the local trust domain"
            + " lanyard.test");
  }

  @Test
  void aServerFromAnUnfederatedTrustDomainFailsSvidVerification() throws Exception {
    TestCa otherCa = TestCa.root("other.test");
    LanyardTls stranger = workload(new FakeSvidSource(otherCa.svid("spiffe://other.test/ns/x/sa/y"),
        otherCa.bundles()), Map.of());
    LoopbackTls.Server strangerServer = serve(stranger);

    assertThatThrownBy(() -> LoopbackTls.call(workload(CLIENT, "spiffe://other.test/**")
        .newSslContext(), "x.other", strangerServer.port(), false))
        .hasMessageContaining("for which we hold no trust bundle (known: [lanyard.test])");
  }

  @Test
  void publicHttpsKeepsWorkingWithTheJvmsTrustAndHostNameRules() throws Exception {
    SSLContext publicServer = plainServerContext(ca.webServer("localhost").issue());
    LoopbackTls.Server server = new LoopbackTls.Server(publicServer, false);
    toClose.add(server);
    LanyardTls client = workload(CLIENT, "");

    SSLSession session = LoopbackTls.call(client.newSslContext(), "localhost", server.port(), true);

    assertThat(session.getPeerPrincipal().getName()).isEqualTo("CN=localhost");
    assertThatThrownBy(() -> LoopbackTls.call(client.newSslContext(), "127.0.0.1", server.port(), true))
        .hasMessageContaining("lanyard: refused outbound TLS to peer \"CN=localhost\" at"
            + " 127.0.0.1:" + server.port())
        .hasMessageContaining("the JVM's default trust rules reject it for 127.0.0.1"
            + " (local_destination_loopback): No subject alternative names matching IP address"
            + " 127.0.0.1 found");
  }

  @Test
  void aMeshHostMustPresentAnSvid() throws Exception {
    SSLContext impostor = plainServerContext(ca.webServer("pay.prod.svc.cluster.local").issue());
    LoopbackTls.Server server = new LoopbackTls.Server(impostor, false);
    toClose.add(server);

    assertThatThrownBy(() -> LoopbackTls.call(workload(CLIENT, "").newSslContext(),
        "pay.prod.svc.cluster.local", server.port(), true))
        .hasMessageContaining("mesh destination pay.prod.svc.cluster.local must present a SPIFFE SVID");
  }

  @Test
  void withoutAnSvidMeshTlsFailsWithAnErrorNamingLanyard() throws Exception {
    FakeSvidSource empty = new FakeSvidSource();
    LanyardTls degraded = workload(empty, Map.of("LANYARD_STARTUP", "wait=0s,then=degrade"));
    LoopbackTls.Server server = serve(degraded);

    catchThrowable(() -> LoopbackTls.call(workload(CLIENT, "").newSslContext(), "a.svc",
        server.port(), false));

    assertThat(LoopbackTls.causeChain(server.next().failure)).contains(
        "lanyard: no X.509-SVID from the SPIRE Workload API at " + FakeSvidSource.ADDRESS);

    // ... and when the SVID arrives everything works without a restart.
    empty.update(ca.svid(SERVER), ca.bundles());
    SSLSession session = LoopbackTls.call(workload(CLIENT, "").newSslContext(), "a.svc",
        server.port(), false);
    assertThat(LoopbackTls.firstUri(session)).isEqualTo(SERVER);
  }

  @Test
  void awaitStartupFollowsThePolicy() {
    assertThat(workload(CLIENT, "").awaitStartup()).isEqualTo(LanyardTls.StartupState.READY);
    assertThat(workload(new FakeSvidSource(), Map.of("LANYARD_STARTUP", "wait=0s,then=degrade"))
        .awaitStartup()).isEqualTo(LanyardTls.StartupState.DEGRADED);
    assertThatThrownBy(() -> workload(new FakeSvidSource(), Map.of("LANYARD_STARTUP",
        "wait=100ms,then=fail")).awaitStartup())
        .isInstanceOf(NoSvidException.class)
        .hasMessageStartingWith("lanyard: no X.509-SVID from the SPIRE Workload API at "
            + FakeSvidSource.ADDRESS + " after 100ms (LANYARD_STARTUP=wait=100ms,then=fail)");
  }

  @Test
  void theDefaultWebPkiTrustManagerIsTheJvmsOwn() {
    X509TrustManager jvm = LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm());

    assertThat(jvm.getAcceptedIssuers()).isNotEmpty();
    assertThat(jvm).isNotInstanceOf(LanyardTrustManager.class);
  }

  @Test
  void closingClosesTheSource() {
    FakeSvidSource source = new FakeSvidSource(ca.svid(CLIENT), ca.bundles());
    workload(source, Map.of()).close();

    assertThat(source.closed).isTrue();
  }

  private static X509TrustManager webPkiTrusting(X509Certificate root) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("root", root);
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      return (X509TrustManager) factory.getTrustManagers()[0];
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static SSLContext plainServerContext(TestCa.Issued issued) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("key", issued.key(), new char[0], issued.chain().toArray(X509Certificate[]::new));
    KeyManagerFactory keys = KeyManagerFactory.getInstance("PKIX");
    keys.init(store, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }
}
