package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FixedTlsPeer;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.RelayingTlsServer;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki.Issued;
import dev.lanyard.testkit.TestPki.SvidFlaw;
import dev.lanyard.testkit.TestPki;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The peer-verification matrix for the sidecar (issue 9, point 7), both directions: the real
 * sidecar with its real SVID from real SPIRE, and on the other end a plain TLS endpoint in this
 * JVM presenting a certificate that breaks exactly one X.509-SVID rule, signed by the SPIRE
 * server's own CA ({@link TestPki#ofSpireServer}) so that without the flaw it would be valid (the
 * accepted controls show that). Inbound, the flawed peer is a client of the mesh port; outbound,
 * it is the mesh server the app reaches through the sidecar's HTTP proxy. Every case is refused:
 * the app never sees the request (inbound) or gets a 502 naming the refusal (outbound), and the
 * sidecar writes exactly one audit record with the claimed SPIFFE ID, the rule and the reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SidecarPeerVerificationMatrixIT {
  private static final String SIDECAR_ID = "spiffe://lanyard.test/ns/mesh/sa/sidecar";
  private static final String PEER_ID = "spiffe://lanyard.test/ns/mesh/sa/peer";
  private static final String STRANGER_ID = "spiffe://lanyard.test/ns/other/sa/stranger";
  private static final int GID = 6501;
  /** The foreign trust domain is allowed by name, so only the missing bundle can refuse it. */
  private static final String ALLOWED =
      "spiffe://lanyard.test/ns/mesh/**,spiffe://foreign.test/**";

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private TestPki spireCa;
  private PeerIdApp app;
  private JvmProcess sidecar;
  private int meshPort;
  private int proxyPort;
  private final long started = System.nanoTime();

  @BeforeAll
  void start() throws IOException {
    SpireCluster cluster = spire.cluster();
    cluster.register(SIDECAR_ID, "unix:gid:" + GID);
    cluster.awaitSvidForGid(GID, SIDECAR_ID, Duration.ofSeconds(30));
    spireCa = TestPki.ofSpireServer(cluster);
    // The app behind the mesh port, and the plain answer of the flawed mesh servers.
    app = PeerIdApp.start();
    meshPort = FreePorts.next();
    proxyPort = FreePorts.next();
    sidecar = SidecarProcess.builder("sidecar", GID, cluster)
        .env("LANYARD_INBOUND", meshPort + ":" + app.port())
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxyPort)
        .env("LANYARD_MESH_HOSTS", "localhost")
        .env("LANYARD_ALLOWED_PEERS", ALLOWED)
        .start();
  }

  @AfterAll
  void stop() {
    if (sidecar != null) {
      sidecar.close();
    }
    if (app != null) {
      app.close();
    }
    System.out.printf("SidecarPeerVerificationMatrixIT: %d cases refused inbound and outbound,"
        + " URI-only SVID accepted both ways, %.1f s%n", Case.values().length,
        (System.nanoTime() - started) / 1e9);
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

  @ParameterizedTest(name = "inbound {0}")
  @EnumSource(Case.class)
  void theMeshPortRefusesAClientWithAFlawedSvid(Case c) {
    int mark = sidecar.output().length();
    int before = app.requests();

    String seen = flawedClient(c.material(spireCa), meshPort);

    assertThat(seen).as(c.toString()).doesNotContain("200").doesNotContain("peer=");
    JsonNode record = AuditRecords.assertOneRefusalSince(sidecar::output, mark, "tls.accept",
        c.claimedId());
    assertRecord(record, c, true);
    assertThat(app.requests()).as("requests that reached the app").isEqualTo(before);
    assertClearLine(sidecar.output().substring(mark), "lanyard: refused inbound TLS from peer ", c,
        true);
  }

  @ParameterizedTest(name = "outbound {0}")
  @EnumSource(Case.class)
  void theOutboundProxyRefusesAMeshServerWithAFlawedSvid(Case c) throws IOException {
    try (RelayingTlsServer server = new RelayingTlsServer(c.material(spireCa), app.address())) {
      int mark = sidecar.output().length();

      String response = viaProxy(server.port());

      assertThat(response).as(response).startsWith("HTTP/1.1 502").doesNotContain("peer=");
      assertThat(server.relayed()).as("connections that got past the handshake").isZero();
      JsonNode record = AuditRecords.assertOneRefusalSince(sidecar::output, mark, "tls.connect",
          c.claimedId());
      assertRecord(record, c, false);
      // The app learns why in the 502 body, and the sidecar says it in its own line.
      assertClearLine(response, "lanyard: refused outbound TLS to peer ", c, false);
      assertClearLine(sidecar.output().substring(mark), "lanyard: refused outbound TLS to peer ", c,
          false);
    }
  }

  @Test
  void aUriOnlySvidIsAcceptedInBothDirections() throws IOException {
    Issued svid = spireCa.svid(PEER_ID);
    int mark = sidecar.output().length();

    String inbound = flawedClient(svid, meshPort);
    assertThat(inbound).as(inbound).startsWith("HTTP/1.1 200").endsWith("peer=" + PEER_ID);

    try (RelayingTlsServer server = new RelayingTlsServer(svid, app.address())) {
      String outbound = viaProxy(server.port());
      assertThat(outbound).as(outbound + "\nTLS server side: " + server.errors())
          .startsWith("HTTP/1.1 200").containsIgnoringCase("X-Lanyard-Peer-Id: " + PEER_ID);
    }
    assertThat(AuditRecords.in(sidecar.output().substring(mark),
        node -> !"allowed".equals(node.path("result").asText()))).isEmpty();
  }

  private static void assertRecord(JsonNode record, Case c, boolean inbound) {
    assertThat(record.path("spiffe_id").asText()).as(record.toString()).isEqualTo(SIDECAR_ID);
    assertThat(record.path("rule").asText()).as(record.toString()).isEqualTo(c.rule(inbound));
    assertThat(record.path("reason").asText()).as(record.toString()).contains(c.reason(inbound));
    if (c.claimedId() != null) {
      assertThat(record.path("reason").asText()).as(record.toString()).contains(c.claimedId());
    } else {
      assertThat(record.path("peer_subject").asText()).as(record.toString()).isNotBlank();
    }
  }

  /**
   * Exactly one line (besides the audit record) says {@code prefix}: it names the claimed ID,
   * when there is one, and the reason; no stack trace repeats it.
   */
  private static void assertClearLine(String output, String prefix, Case c, boolean inbound) {
    List<String> lines = output.lines().filter(line -> line.contains(prefix)).toList();
    assertThat(lines).as("lines naming the refusal in:\n" + output).hasSize(1);
    assertThat(lines.get(0)).contains(prefix + (c.claimedId() == null ? "" : c.claimedId()))
        .contains(c.reason(inbound));
    assertThat(output).as(output).doesNotContain("\tat io.netty");
  }

  /** Sends {@code GET http://localhost:<port>/hello} through the sidecar's forward proxy. */
  private String viaProxy(int port) throws IOException {
    return PeerIdApp.viaProxy(proxyPort, port, "/hello");
  }

  /** One HTTP/1.1 request presenting {@code material}: the response, or the exception. */
  private static String flawedClient(Issued material, int port) {
    return FixedTlsPeer.get(material.presentingContext(), port);
  }
}
