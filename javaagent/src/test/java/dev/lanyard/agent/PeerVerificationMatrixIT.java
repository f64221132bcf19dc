package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FixedTlsPeer;
import dev.lanyard.testkit.RelayingTlsServer;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki.Issued;
import dev.lanyard.testkit.TestPki.SvidFlaw;
import dev.lanyard.testkit.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The peer-verification matrix for the javaagent (issue 9, point 7), both directions. The
 * workload under test is a compat app in its own JVM with the real javaagent and its real SVID
 * from real SPIRE; the other end is a plain TLS endpoint in this JVM presenting a certificate
 * that breaks exactly one X.509-SVID rule: it is signed by the SPIRE server's own CA ({@link
 * TestPki#ofSpireServer}), so without the flaw it would be a valid SVID (the accepted controls
 * show that). Every flaw must be refused with one audit record naming the claimed SPIFFE ID (when
 * there is one), the rule and the reason; and a URI-only SVID (no DNS SAN) from the same CA must
 * be accepted by every client library of the compat matrix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerVerificationMatrixIT {
  private static final String PEER_ID = "spiffe://lanyard.test/ns/mesh/sa/peer";
  private static final String STRANGER_ID = "spiffe://lanyard.test/ns/other/sa/stranger";
  /** The foreign trust domain is allowed by name, so only the missing bundle can refuse it. */
  private static final String ALLOWED =
      "spiffe://lanyard.test/ns/mesh/**,spiffe://foreign.test/**";
  private static final List<String> CLIENTS = List.of("JdkHttpClientApp", "HttpsUrlConnectionApp",
      "ApacheHttpClientApp", "OkHttpClientApp", "ReactorNettyClientApp", "GrpcClientApp");
  private static final List<String> SERVERS = List.of("JettyServerApp", "NettyServerApp");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private Workload server;
  private Workload client;
  private TestPki spireCa;
  private final Map<String, Server> servers = new LinkedHashMap<>();
  private HttpServer httpBackend;
  private Server grpcBackend;
  private final long started = System.nanoTime();

  @BeforeAll
  void start() throws IOException {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5301, "/ns/mesh/sa/server");
    client = Workload.register(cluster, 5302, "/ns/mesh/sa/client");
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    spireCa = TestPki.ofSpireServer(cluster);
    Map<String, String> env = attested(Mesh.env("LANYARD_ALLOWED_PEERS", ALLOWED));
    for (String app : SERVERS) {
      servers.put(app, Mesh.server(cluster, server, app, env));
    }
    // What the misbehaving servers relay to once a client accepted them (plain, no javaagent).
    httpBackend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    httpBackend.createContext("/", exchange -> {
      byte[] body = "peer=none".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    httpBackend.start();
    grpcBackend = Mesh.server(cluster, null, "GrpcServerApp", Map.of(), "--tls", "plain");
  }

  @AfterAll
  void stop() {
    servers.values().forEach(Server::close);
    if (grpcBackend != null) {
      grpcBackend.close();
    }
    if (httpBackend != null) {
      httpBackend.stop(0);
    }
    System.out.printf("PeerVerificationMatrixIT: %d cases refused inbound by %d servers and"
        + " outbound by one client each (rotating over %d clients); URI-only SVID accepted by %d"
        + " clients and %d servers; %.1f s%n", Case.values().length, SERVERS.size(), CLIENTS.size(),
        CLIENTS.size(), SERVERS.size(), (System.nanoTime() - started) / 1e9);
  }

  /** Each flaw, plus a valid SVID whose ID is not in LANYARD_ALLOWED_PEERS. */
  enum Case {
    WRONG_TRUST_DOMAIN(SvidFlaw.WRONG_TRUST_DOMAIN, "unknown_trust_domain",
        "for which we hold no trust bundle"),
    UNKNOWN_CA(SvidFlaw.UNKNOWN_CA, "chain_not_trusted",
        "does not chain to the trust bundle"),
    EXPIRED(SvidFlaw.EXPIRED, "expired", "expired at"),
    NOT_YET_VALID(SvidFlaw.NOT_YET_VALID, "not_yet_valid", "is not valid before"),
    LEAF_IS_CA(SvidFlaw.LEAF_IS_CA, "leaf_is_ca", "is a CA certificate"),
    LEAF_KEY_CERT_SIGN(SvidFlaw.LEAF_KEY_CERT_SIGN, "leaf_has_key_cert_sign",
        "keyCertSign"),
    NO_URI_SAN(SvidFlaw.NO_URI_SAN, null, null),
    TWO_URI_SANS(SvidFlaw.TWO_URI_SANS, "multiple_uri_sans", "has 2 URI SANs"),
    NON_SPIFFE_URI(SvidFlaw.NON_SPIFFE_URI, null, null),
    ID_NOT_ALLOWED(null, "allowed_peers", "matches none of LANYARD_ALLOWED_PEERS"),
    TRUNCATED_CHAIN(SvidFlaw.TRUNCATED_CHAIN, "chain_not_trusted",
        "does not chain to the trust bundle"),
    MALFORMED_SPIFFE_ID(SvidFlaw.MALFORMED_SPIFFE_ID, "malformed_spiffe_id",
        "is not a valid SPIFFE ID"),
    UPPER_CASE_TRUST_DOMAIN(SvidFlaw.UPPER_CASE_TRUST_DOMAIN, "malformed_spiffe_id",
        "must be lower case");

    final SvidFlaw flaw;
    final String rule;
    final String reason;

    Case(SvidFlaw flaw, String rule, String reason) {
      this.flaw = flaw;
      this.rule = rule;
      this.reason = reason;
    }

    Issued material(TestPki ca) {
      return flaw == null ? ca.svid(STRANGER_ID) : ca.flawedSvid(flaw, PEER_ID);
    }

    String claimedId() {
      return flaw == null ? STRANGER_ID : flaw.claimedId(PEER_ID);
    }

    /** Without a spiffe:// URI SAN the peer is no SPIFFE peer: the rule is about that. */
    String rule(boolean inbound) {
      if (rule != null) {
        return rule;
      }
      return inbound ? "client_svid_required" : "mesh_hosts";
    }

    String reason(boolean inbound) {
      if (reason != null) {
        return reason;
      }
      return inbound ? "carries no SPIFFE ID; this port requires an X.509-SVID"
          : "must present a SPIFFE SVID";
    }
  }

  static Stream<String> clients() {
    return CLIENTS.stream();
  }

  static Stream<Arguments> inboundCases() {
    List<Arguments> all = new ArrayList<>();
    for (Case c : Case.values()) {
      for (String app : SERVERS) {
        all.add(Arguments.of(c, app));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "inbound {0} -> {1}")
  @MethodSource("inboundCases")
  void aServerRefusesAClientWithAFlawedSvid(Case c, String app) throws Exception {
    Server target = servers.get(app);
    int mark = target.process().output().length();

    String seen = badClient(c.material(spireCa), target.port());

    assertThat(seen).as(c + " against " + app).doesNotContain("200").doesNotContain("peer=");
    JsonNode record = AuditRecords.assertOneRefusalSince(() -> target.process().output(), mark,
        "tls.accept", c.claimedId());
    assertRecord(record, c, true);
    assertThat(record.path("spiffe_id").asText()).isEqualTo(server.spiffeId());
  }

  /** One client JVM per case (each costs a JVM start); the cases rotate over all six clients. */
  static Stream<Arguments> outboundCases() {
    return Stream.of(Case.values())
        .map(c -> Arguments.of(c, CLIENTS.get(c.ordinal() % CLIENTS.size())));
  }

  @ParameterizedTest(name = "outbound {0} <- {1}")
  @MethodSource("outboundCases")
  void aClientRefusesAServerWithAFlawedSvid(Case c, String app) throws Exception {
    try (RelayingTlsServer bad = new RelayingTlsServer(c.material(spireCa), backendFor(app),
        app.startsWith("Grpc"))) {
      ClientRun run = Mesh.client(spire.cluster(), client, app, target(app, bad.port()), 1,
          clientEnv());

      assertThat(run.exit()).as(run.toString()).isNotZero();
      assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=0 failed=1")
          .doesNotContain("OK status=");
      assertThat(bad.relayed()).as("connections that got past the handshake").isZero();
      JsonNode record = AuditRecords.assertOneRefusal(run.output(), "tls.connect", c.claimedId());
      assertRecord(record, c, false);
      assertThat(record.path("spiffe_id").asText()).isEqualTo(client.spiffeId());
      // The client's own error names the refusal too (the javaagent's exception message).
      assertThat(run.output()).as(run.toString()).containsPattern("FAIL .*lanyard: refused"
          + " outbound TLS to peer " + (c.claimedId() == null ? "" : quote(c.claimedId())));
    }
  }

  @ParameterizedTest(name = "URI-only SVID accepted by {0}")
  @MethodSource("clients")
  void everyClientAcceptsAUriOnlySvid(String app) throws Exception {
    Issued svid = spireCa.svid(PEER_ID);
    assertThat(dnsNames(svid.certificate())).isEmpty();
    try (RelayingTlsServer good = new RelayingTlsServer(svid, backendFor(app),
        app.startsWith("Grpc"))) {
      ClientRun run = Mesh.client(spire.cluster(), client, app, target(app, good.port()), 1,
          clientEnv());

      assertThat(run.exit()).as(run + "\nTLS server side: " + good.errors()).isZero();
      assertThat(run.output()).as(run.toString())
          .contains("OK status=" + (app.startsWith("Grpc") ? "OK" : "200")
              + " server_peer=" + PEER_ID)
          .contains("SUMMARY ok=1 failed=0");
      assertThat(AuditRecords.in(run.output(), node -> !"allowed".equals(node.path("result").asText())))
          .isEmpty();
    }
  }

  @Test
  void everyServerAcceptsAUriOnlySvidFromTheSameHarness() throws Exception {
    for (String app : SERVERS) {
      Server target = servers.get(app);
      int mark = target.process().output().length();
      String seen = badClient(spireCa.svid(PEER_ID), target.port());
      assertThat(seen).as(app).contains("200").contains("peer=" + PEER_ID);
      assertThat(AuditRecords.in(target.process().output().substring(mark))).as(app).isEmpty();
    }
  }

  private static void assertRecord(JsonNode record, Case c, boolean inbound) {
    assertThat(record.path("rule").asText()).as(record.toString()).isEqualTo(c.rule(inbound));
    assertThat(record.path("reason").asText()).as(record.toString()).contains(c.reason(inbound));
    if (c.claimedId() != null) {
      assertThat(record.path("reason").asText()).as(record.toString()).contains(c.claimedId());
    } else {
      assertThat(record.path("peer_subject").asText()).as(record.toString()).isNotBlank();
    }
  }

  private Map<String, String> clientEnv() {
    return attested(Mesh.env("LANYARD_ALLOWED_PEERS", ALLOWED, "LANYARD_MESH_HOSTS", "localhost"));
  }

  private static String target(String app, int port) {
    return app.startsWith("Grpc") ? "localhost:" + port : "https://localhost:" + port + "/hello";
  }

  private InetSocketAddress backendFor(String app) {
    return app.startsWith("Grpc") ? new InetSocketAddress("127.0.0.1", grpcBackend.port())
        : httpBackend.getAddress();
  }

  /** One HTTP/1.1 request presenting {@code material}: the response, or the exception. */
  private static String badClient(Issued material, int port) {
    return FixedTlsPeer.get(material.presentingContext(), port);
  }

  private static List<String> dnsNames(X509Certificate certificate) throws CertificateParsingException {
    List<String> names = new ArrayList<>();
    if (certificate.getSubjectAlternativeNames() != null) {
      for (List<?> name : certificate.getSubjectAlternativeNames()) {
        if (Integer.valueOf(2).equals(name.get(0))) {
          names.add(String.valueOf(name.get(1)));
        }
      }
    }
    return names;
  }

  private static Map<String, String> attested(Map<String, String> env) {
    Map<String, String> all = new LinkedHashMap<>(env);
    all.putAll(AuditRecords.DOWNWARD_API);
    return all;
  }

  private static String quote(String text) {
    return java.util.regex.Pattern.quote(text);
  }
}
