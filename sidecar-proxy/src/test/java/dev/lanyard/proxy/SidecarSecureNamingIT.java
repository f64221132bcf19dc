package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.ImpostorServer;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.WorkloadSvids;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Secure naming on the sidecar's outbound side (issue 17, items 1 and 2), real sidecars on real
 * SPIRE. The attacker is an independent server written with Python's {@code ssl} holding a real
 * SVID of the trust domain (fetched from the SPIRE Agent for its own workload), standing where
 * the caller's DNS sends {@code api.payments.example}, {@code orders.shop.svc}, {@code orders} and
 * {@code orders.prod}: the caller sidecar's own hosts file ({@code -Djdk.net.hosts.file}) points
 * them at loopback.
 */
class SidecarSecureNamingIT {
  static final String CALLER_ID = "spiffe://lanyard.test/ns/shop/sa/web";
  static final String ORDERS_ID = "spiffe://lanyard.test/ns/shop/sa/orders";
  static final String IMPOSTOR_ID = "spiffe://lanyard.test/ns/shop/sa/impostor";
  static final int CALLER_GID = 6601;
  static final int ORDERS_GID = 6602;
  static final int IMPOSTOR_GID = 6603;

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(5)).build();

  static TempDir dir;
  static ManagedProcess app;
  static JvmProcess ordersSidecar;
  static JvmProcess caller;
  static ImpostorServer impostor;
  static ImpostorServer wire;
  static ImpostorServer webServer;
  static int ordersMesh;
  static int proxy;
  static int staticRoute;
  static int webRoute;

  @BeforeAll
  static void start() throws Exception {
    SpireCluster cluster = spire.cluster();
    cluster.register(CALLER_ID, "unix:gid:" + CALLER_GID);
    cluster.register(ORDERS_ID, "unix:gid:" + ORDERS_GID);
    cluster.register(IMPOSTOR_ID, "unix:gid:" + IMPOSTOR_GID);
    dir = TempDir.create("lanyard-sidecar-naming-");
    cluster.awaitSvidForGid(CALLER_GID, CALLER_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(ORDERS_GID, ORDERS_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(IMPOSTOR_GID, IMPOSTOR_ID, Duration.ofSeconds(30));
    impostor = ImpostorServer.tls(WorkloadSvids.fetch(cluster, IMPOSTOR_GID));
    wire = ImpostorServer.raw();
    // A server the caller's JVM trusts by Web PKI (its trust store holds only this CA).
    TestPki webCa = TestPki.create("Lanyard test Web PKI CA");
    webServer = ImpostorServer.tls(webCa.server("api.payments.example",
        List.of("api.payments.example"), List.of()));
    int appPort = FreePorts.next();
    ordersMesh = FreePorts.next();
    proxy = FreePorts.next();
    staticRoute = FreePorts.next();
    webRoute = FreePorts.next();
    app = Python.app(dir, appPort);
    ordersSidecar = SidecarProcess.builder("orders-sidecar", ORDERS_GID, cluster)
        .env("LANYARD_INBOUND", ordersMesh + ":" + appPort)
        .start();
    java.nio.file.Path hosts = dir.path().resolve("hosts");
    Files.writeString(hosts,
        "127.0.0.1 api.payments.example orders.shop.svc orders orders.prod localhost\n");
    Files.setPosixFilePermissions(dir.path(),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(hosts,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    java.nio.file.Path trustStore = dir.path().resolve("web-pki.p12");
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      webCa.trustStore().store(out, "changeit".toCharArray());
    }
    Files.setPosixFilePermissions(trustStore,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    caller = SidecarProcess.builder("caller-sidecar", CALLER_GID, cluster)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxy)
        .env("LANYARD_OUTBOUND", "127.0.0.1:" + staticRoute + "=api.payments.example:"
            + impostor.port() + ",127.0.0.1:" + webRoute + "=api.payments.example:"
            + webServer.port())
        .env("LANYARD_SERVER_IDS", "orders.shop.svc=" + ORDERS_ID)
        .env("LANYARD_JWT_AUDIENCES", "orders.shop.svc=orders,api.payments.example=payments")
        .env("LANYARD_AUDIT", "all")
        .jvmArg("-Djdk.net.hosts.file=" + hosts)
        .jvmArg("-Djavax.net.ssl.trustStore=" + trustStore,
            "-Djavax.net.ssl.trustStorePassword=changeit")
        .start();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {caller, ordersSidecar, app, impostor,
        wire, webServer, dir}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
  }

  /**
   * The finding: a static route's mTLS hop accepted any SVID of the trust domain as {@code
   * api.payments.example}. That host is no mesh destination, so an SVID is no identity for it.
   */
  @Test
  void anSvidIsNoIdentityForAnExternalHost() throws Exception {
    int before = impostor.requests().size();
    int mark = caller.output().length();

    String answer = rawExchange(staticRoute, "GET /pay HTTP/1.1\r\nHost: api.payments.example\r\n"
        + "Authorization: Bearer app-secret\r\n\r\n");

    assertThat(answer).isEmpty();
    impostor.awaitConnections(before + 1, Duration.ofSeconds(10));
    assertThat(impostor.requests().subList(before, impostor.requests().size()))
        .as("what the impostor received").isEmpty();
    JsonNode record = AuditRecords.assertOneRefusalSince(caller::output, mark, "tls.connect",
        IMPOSTOR_ID);
    assertThat(record.path("rule").asText()).isEqualTo("svid_for_external_host");
    assertThat(record.path("reason").asText()).contains("X.509-SVID " + IMPOSTOR_ID
        + " is no identity for api.payments.example: it is not a mesh destination");
  }

  /**
   * A mesh hop must present an X.509-SVID, even to a server the JVM's Web PKI trusts: the refusal
   * is the trust decision itself, so the audit trail says {@code denied} with the rule, never
   * {@code allowed}/{@code web_pki} for a connection the sidecar then drops (issue 21, item 3).
   */
  @Test
  void aMeshHopToAWebPkiServerIsRefusedInTheTrustDecision() throws Exception {
    int before = webServer.requests().size();
    int mark = caller.output().length();

    String answer = rawExchange(webRoute, "GET /pay HTTP/1.1\r\nHost: api.payments.example\r\n"
        + "\r\n");

    assertThat(answer).isEmpty();
    webServer.awaitConnections(before + 1, Duration.ofSeconds(10));
    assertThat(webServer.requests().subList(before, webServer.requests().size()))
        .as("what the Web PKI server received").isEmpty();
    JsonNode record = AuditRecords.assertOneRefusalSince(caller::output, mark, "tls.connect",
        null);
    assertThat(record.path("rule").asText()).isEqualTo("mesh_hop_requires_svid");
    assertThat(record.path("peer_subject").asText()).isEqualTo("CN=api.payments.example");
    assertThat(record.path("reason").asText()).isEqualTo("the sidecar's mesh hop to"
        + " api.payments.example requires an X.509-SVID, but the server presented"
        + " \"CN=api.payments.example\" (a certificate without SPIFFE ID is no mesh peer, even"
        + " one Web PKI trusts); reach servers that are not mesh workloads through the forward"
        + " proxy's CONNECT tunnel, not through a mesh route");
    assertThat(AuditRecords.in(caller.output().substring(mark), AuditRecords.action("tls.connect")))
        .as("no allowed record for the refused hop").singleElement();
  }

  /**
   * {@code LANYARD_SERVER_IDS}: {@code orders.shop.svc} may only be served by the orders
   * workload. Its sidecar is accepted and gets the JWT-SVID; the impostor, with a valid SVID of
   * the same trust domain, is refused with both IDs named, and gets neither request nor token.
   */
  @Test
  void serverIdsDecideWhoMayServeAMeshHost() {
    int before = impostor.requests().size();

    String right = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60), "headers",
        "http://orders.shop.svc:" + ordersMesh + "/hello");
    String wrong = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60), "headers",
        "http://orders.shop.svc:" + impostor.port() + "/hello");

    assertThat(right).as(right).contains("status 200").containsIgnoringCase("Bearer ")
        .contains(CALLER_ID);
    assertThat(wrong).as(wrong).contains("status 502").contains("server " + IMPOSTOR_ID
        + " is not allowed to serve orders.shop.svc: LANYARD_SERVER_IDS allows only ["
        + ORDERS_ID + "]");
    impostor.awaitConnections(before + 1, Duration.ofSeconds(10));
    assertThat(impostor.requests().subList(before, impostor.requests().size())).isEmpty();
  }

  /**
   * Item 2: {@code http://orders:PORT} and {@code http://orders.prod:PORT} are mesh destinations
   * (search-path names), so the forward proxy upgrades them to mTLS: the first bytes on the wire
   * are a TLS handshake record, never the request in clear text.
   */
  @ParameterizedTest
  @ValueSource(strings = {"orders", "orders.prod"})
  void searchPathNamesNeverGetClearText(String host) {
    int before = wire.firstBytes().size();

    String reply = Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60), "headers",
        "http://" + host + ":" + wire.port() + "/secret?token=abc");

    wire.awaitConnections(before + 1, Duration.ofSeconds(10));
    List<byte[]> seen = wire.firstBytes().subList(before, wire.firstBytes().size());
    assertThat(seen).as(reply).hasSize(1);
    byte[] first = seen.get(0);
    assertThat(first.length).isGreaterThan(5);
    assertThat(first[0]).as("TLS record type handshake").isEqualTo((byte) 0x16);
    assertThat(first[5]).as("ClientHello").isEqualTo((byte) 0x01);
    assertThat(new String(first, StandardCharsets.ISO_8859_1)).doesNotContain("secret")
        .doesNotContain("GET");
    assertThat(reply).contains("status 502");
  }

  /** Plain TCP to {@code port}: what comes back before the far side closes (empty if nothing). */
  private static String rawExchange(int port, String request) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
