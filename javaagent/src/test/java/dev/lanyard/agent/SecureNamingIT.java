package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.ImpostorServer;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.RelayingTlsServer;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.WorkloadSvids;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Secure naming (issue 17, items 1 and 2), with the real javaagent in real client JVMs and real
 * SVIDs from real SPIRE. The attacker is an independent server written with Python's {@code ssl}
 * holding a real SVID of the trust domain (fetched from the SPIRE Agent for its own workload): it
 * stands where DNS sent the client, on loopback. Host names reach loopback through the client
 * JVM's own hosts file ({@code -Djdk.net.hosts.file}), so the client means {@code
 * api.payments.example} or {@code orders} and gets the attacker.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureNamingIT {
  private static final String EXTERNAL_HOST = "api.payments.example";

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private dev.lanyard.testkit.TempDir temp;
  private Path dir;

  private Workload client;
  private Workload orders;
  private Workload impostorWorkload;
  private ImpostorServer impostor;
  private Server ordersServer;
  private HttpServer backend;
  private String hostsFile;
  private String[] trustTheWebCa;
  private TestPki webPki;

  @BeforeAll
  void start() throws Exception {
    SpireCluster cluster = spire.cluster();
    temp = dev.lanyard.testkit.TempDir.create("lanyard-secure-naming-");
    dir = temp.path();
    client = Workload.register(cluster, 5401, "/ns/shop/sa/web");
    orders = Workload.register(cluster, 5402, "/ns/shop/sa/orders");
    impostorWorkload = Workload.register(cluster, 5403, "/ns/shop/sa/impostor");
    client.awaitSvid(cluster);
    orders.awaitSvid(cluster);
    impostorWorkload.awaitSvid(cluster);
    impostor = ImpostorServer.tls(WorkloadSvids.fetch(cluster, impostorWorkload.gid()));
    ordersServer = Mesh.server(cluster, orders, "NettyServerApp", AuditRecords.DOWNWARD_API);
    Path hosts = dir.resolve("hosts");
    Files.writeString(hosts, "127.0.0.1 " + EXTERNAL_HOST + " orders orders.prod localhost\n");
    hostsFile = "-Djdk.net.hosts.file=" + hosts;
    webPki = TestPki.create("public-ca");
    Path truststore = dir.resolve("trust.p12");
    try (OutputStream out = Files.newOutputStream(truststore)) {
      webPki.trustStore().store(out, "changeit".toCharArray());
    }
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    trustTheWebCa = new String[] {"-Djavax.net.ssl.trustStore=" + truststore,
        "-Djavax.net.ssl.trustStorePassword=changeit"};
    backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    backend.createContext("/", exchange -> {
      byte[] body = "web_pki".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    backend.start();
  }

  @AfterAll
  void stop() {
    if (impostor != null) {
      impostor.close();
    }
    if (ordersServer != null) {
      ordersServer.close();
    }
    if (backend != null) {
      backend.stop(0);
    }
    if (temp != null) {
      temp.close();
    }
  }

  /**
   * The finding: an SVID of the trust domain was accepted as {@code https://api.payments.example}
   * and got the request with its JWT-SVID. Each client reaches the hooks another way (the JDK
   * client adds the token before it connects; OkHttp and HttpsURLConnection after).
   */
  @ParameterizedTest
  @ValueSource(strings = {"JdkHttpClientApp", "OkHttpClientApp", "HttpsUrlConnectionApp"})
  void anSvidIsNoIdentityForAnExternalHostAndGetsNoToken(String app) {
    int before = impostor.requests().size();

    ClientRun run = client(app, "https://" + EXTERNAL_HOST + ":" + impostor.port() + "/pay",
        Map.of("LANYARD_JWT_AUDIENCES", EXTERNAL_HOST + "=payments"));

    assertThat(run.exit()).as(run.toString()).isNotZero();
    assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=0 failed=1")
        .doesNotContain("OK status=");
    assertThat(impostor.requests().subList(before, impostor.requests().size()))
        .as("requests (and Authorization headers) the impostor received").isEmpty();
    JsonNode record = AuditRecords.assertOneRefusal(run.output(), "tls.connect",
        impostorWorkload.spiffeId());
    assertThat(record.path("rule").asText()).isEqualTo("svid_for_external_host");
    assertThat(record.path("reason").asText())
        .contains("X.509-SVID " + impostorWorkload.spiffeId() + " is no identity for "
            + EXTERNAL_HOST + ": it is not a mesh destination (external_destination_public_name");
    assertNoTokenAddedAfterTheHandshake(app, run);
    assertThat(run.output()).containsPattern("FAIL .*lanyard: refused outbound TLS to peer "
        + java.util.regex.Pattern.quote(impostorWorkload.spiffeId()));
  }

  /**
   * {@code LANYARD_SERVER_IDS}: the mesh host {@code orders} may only be served by the orders
   * workload. The right server is accepted (and gets its token); the impostor, with a valid SVID
   * of the same trust domain, is refused with a message naming both IDs and gets nothing.
   */
  @ParameterizedTest
  @ValueSource(strings = {"JdkHttpClientApp", "OkHttpClientApp"})
  void serverIdsDecideWhoMayServeAMeshHost(String app) {
    Map<String, String> env = Map.of("LANYARD_SERVER_IDS", "orders=" + orders.spiffeId(),
        "LANYARD_JWT_AUDIENCES", "orders=orders");
    int before = impostor.requests().size();

    ClientRun right = client(app, "https://orders:" + ordersServer.port() + "/hello", env);
    ClientRun wrong = client(app, "https://orders:" + impostor.port() + "/hello", env);

    assertThat(right.output()).as(right.toString())
        .contains("OK status=200 server_peer=" + orders.spiffeId())
        .contains("SUMMARY ok=1 failed=0");
    assertThat(AuditRecords.in(right.output(), AuditRecords.action("jwt.send").and(
        node -> node.path("result").asText().equals("allowed")))).hasSize(1);
    assertThat(wrong.exit()).as(wrong.toString()).isNotZero();
    assertThat(impostor.requests().subList(before, impostor.requests().size())).isEmpty();
    JsonNode record = AuditRecords.assertOneRefusal(wrong.output(), "tls.connect",
        impostorWorkload.spiffeId());
    assertThat(record.path("rule").asText()).isEqualTo("server_ids");
    assertThat(record.path("reason").asText()).contains("server " + impostorWorkload.spiffeId()
        + " is not allowed to serve orders: LANYARD_SERVER_IDS allows only ["
        + orders.spiffeId() + "]");
    assertNoTokenAddedAfterTheHandshake(app, wrong);
  }

  /**
   * The clients whose hook runs on an established connection never get as far as adding a token.
   * The JDK client adds it to the request before connecting (its record says the token is written
   * only inside TLS to a server verified for the host): what the impostor received, asserted
   * above, is the proof that it never left.
   */
  private static void assertNoTokenAddedAfterTheHandshake(String app, ClientRun run) {
    List<JsonNode> added = AuditRecords.in(run.output(), AuditRecords.action("jwt.send").and(
        node -> node.path("result").asText().equals("allowed")));
    if (app.equals("JdkHttpClientApp")) {
      assertThat(added).allSatisfy(node -> assertThat(node.path("reason").asText())
          .contains("it is written only inside TLS to a server verified for"));
    } else {
      assertThat(added).as(run.toString()).isEmpty();
    }
  }

  /**
   * Item 2: {@code orders}, {@code orders.prod} and an address inside {@code LANYARD_MESH_CIDRS}
   * are mesh destinations by default, so a server there with a certificate the client's own trust
   * store accepts (Web PKI, right DNS names) is refused: it must present an SVID. {@code
   * localhost}, not a mesh destination, still gets Web PKI (the control).
   */
  @ParameterizedTest
  @CsvSource({
      "orders, mesh_destination_single_label",
      "orders.prod, mesh_destination_two_label",
      "127.0.0.1, mesh_cidrs",
      "localhost, ",
  })
  void searchPathNamesAndClusterAddressesRequireAnSvid(String host, String rule) throws Exception {
    TestPki.Issued web = webPki.server("orders", List.of("orders", "orders.prod", "localhost"),
        List.of("127.0.0.1"));
    try (RelayingTlsServer server = new RelayingTlsServer(web, backend.getAddress())) {
      ClientRun run = client("JdkHttpClientApp", "https://" + host + ":" + server.port() + "/x",
          Map.of("LANYARD_MESH_CIDRS", "127.0.0.0/8"), trustTheWebCa);

      if (rule == null) {
        assertThat(run.output()).as(run.toString()).contains("OK status=200 server_peer=none");
        return;
      }
      assertThat(run.exit()).as(run.toString()).isNotZero();
      assertThat(server.relayed()).as("connections that got past the handshake").isZero();
      JsonNode record = AuditRecords.assertOneRefusal(run.output(), "tls.connect", null);
      assertThat(record.path("rule").asText()).isEqualTo(rule);
      assertThat(record.path("reason").asText()).contains("mesh destination " + host
          + " must present a SPIFFE SVID");
    }
  }

  private ClientRun client(String app, String url, Map<String, String> extraEnv,
      String... jvmArgs) {
    Map<String, String> env = new LinkedHashMap<>(AuditRecords.DOWNWARD_API);
    env.put("LANYARD_AUDIT", "all");
    // Under a loaded CI machine the first SVID can take longer than Mesh's 20 s.
    env.put("LANYARD_STARTUP", "wait=60s,then=fail");
    env.putAll(extraEnv);
    List<String> allJvmArgs = new ArrayList<>(List.of(hostsFile));
    allJvmArgs.addAll(List.of(jvmArgs));
    try (JvmProcess process = Mesh.app(app, spire.cluster(), client, app, env,
        "--url", url, "--requests", "1", "--tls", "default")
        .jvmArg(allJvmArgs.toArray(String[]::new)).start()) {
      return new ClientRun(app, process.awaitExit(Duration.ofSeconds(90)), process.output());
    }
  }
}
