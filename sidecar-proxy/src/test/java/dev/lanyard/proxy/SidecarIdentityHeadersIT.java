package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.Tools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The identity headers of an HTTP mesh port, attacked by a peer the policy allows: a Python client
 * ({@code attacker.py}: {@code ssl} and raw bytes) holding its real X.509-SVID from SPIRE (fetched
 * from the Workload API under its gid and handed over on stdin, never written to disk), against
 * the real sidecar in front of the Python app, which prints everything it received. Each attack
 * forges a value under {@code spiffe://lanyard.test/ns/forged/sa/}: it must never reach the app.
 * A second sidecar requires JWT-SVIDs ({@code LANYARD_INBOUND_JWT_AUDIENCE=api}), where one valid
 * token must not carry a forged subject on a request behind it.
 */
class SidecarIdentityHeadersIT {
  static final String SERVER_ID = "spiffe://lanyard.test/ns/headers/sa/server";
  static final String ATTACKER_ID = "spiffe://lanyard.test/ns/headers/sa/attacker";
  static final String FORGED = "spiffe://lanyard.test/ns/forged/sa/";
  static final int SERVER_GID = 6611;
  static final int ATTACKER_GID = 6612;
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  static TempDir dir;
  static ManagedProcess app;
  static JvmProcess sidecar;
  static JvmProcess jwtSidecar;
  static int mesh;
  static int rawMesh;
  static int jwtMesh;
  static String attackerSvid;
  static String attackerLeafSha256;

  @BeforeAll
  static void start() throws Exception {
    spire.cluster().register(SERVER_ID, "unix:gid:" + SERVER_GID);
    spire.cluster().register(ATTACKER_ID, "unix:gid:" + ATTACKER_GID);
    dir = TempDir.create("lanyard-identity-headers-");
    int appPort = FreePorts.next();
    mesh = FreePorts.next();
    rawMesh = FreePorts.next();
    jwtMesh = FreePorts.next();
    app = Python.app(dir, appPort);
    spire.cluster().awaitSvidForGid(SERVER_GID, SERVER_ID, Duration.ofSeconds(30));
    spire.cluster().awaitSvidForGid(ATTACKER_GID, ATTACKER_ID, Duration.ofSeconds(30));
    sidecar = SidecarProcess.builder("headers-sidecar", SERVER_GID, spire.cluster())
        .env("LANYARD_INBOUND", mesh + ":" + appPort + "," + rawMesh + ":" + appPort + "/tcp")
        .env("LANYARD_ALLOWED_PEERS", ATTACKER_ID)
        .start();
    jwtSidecar = SidecarProcess.builder("headers-jwt-sidecar", SERVER_GID, spire.cluster())
        .env("LANYARD_INBOUND", jwtMesh + ":" + appPort)
        .env("LANYARD_INBOUND_JWT_AUDIENCE", "api")
        .env("LANYARD_ALLOWED_PEERS", ATTACKER_ID)
        .start();
    String fetched = Command.run(Duration.ofSeconds(30), Command.asGid(ATTACKER_GID, List.of(
        Tools.require("spire-agent").toString(), "api", "fetch", "x509", "-output", "json",
        "-socketPath", spire.cluster().agentSocket().toString()))).orThrow();
    attackerSvid = fetched.substring(fetched.indexOf('{'), fetched.lastIndexOf('}') + 1);
    byte[] chain = Base64.getDecoder().decode(
        JSON.readTree(attackerSvid).path("svids").get(0).path("x509_svid").asText());
    X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(chain)).iterator().next();
    attackerLeafSha256 = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {jwtSidecar, sidecar, app, dir}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
  }

  @Test
  void anExtensionMethodIsParsedAndLabelled() {
    String out = attack(mesh, "purge");

    assertNeverReachedTheApp(out, FORGED + "purge");

    assertThat(out).contains("\"method\": \"PURGE\"")
        .contains("\"peer_ids\": [\"" + ATTACKER_ID + "\"]");
  }

  @Test
  void http2PriorKnowledgeIsRefusedWithGoAwayAndTheReason() {
    String out = attack(mesh, "h2-preface");

    assertNeverReachedTheApp(out, FORGED + "prior-knowledge");

    // ALPN: the mesh port negotiates no protocol, so no client is told it may speak h2.
    assertThat(out).contains("alpn None");
    assertThat(out).contains("HTTP/2 is not relayed on mesh port " + mesh).contains("--- closed");
    // GOAWAY (type 7) with HTTP_1_1_REQUIRED (0xd): last stream 0, then the error code.
    assertThat(out).contains("\u0007\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\r");
    assertThat(app.output()).doesNotContain("app h2 headers");
    sidecar.awaitOutput("\"peer_spiffe_id\":\"" + ATTACKER_ID + "\".*\"close\":\"http2_refused: lanyard:"
        + " HTTP/2 is not relayed on mesh port " + mesh, Duration.ofSeconds(10));
  }

  @Test
  void anH2cUpgradeIsDeclinedAndTheRequestsAreServedAsLabelledHttp11() {
    String out = attack(mesh, "h2c-upgrade");

    assertNeverReachedTheApp(out, FORGED + "h2c");

    assertThat(out).doesNotContain(" 101 ");
    assertThat(out).contains("\"path\": \"/keep/h2c\"").contains("\"path\": \"/after-h2c\"");
    assertThat(count(out, "\"peer_ids\": [\"" + ATTACKER_ID + "\"]")).isEqualTo(2);
    assertThat(app.output()).contains("app request: GET /keep/h2c").doesNotContain("\"Upgrade\", \"h2c\"");
  }

  @Test
  void aRequestPipelinedBehindADeclinedUpgradeIsLabelled() {
    String out = attack(mesh, "declined-upgrade");

    assertNeverReachedTheApp(out, FORGED + "declined");

    assertThat(out).contains("\"path\": \"/decline\"").contains("\"path\": \"/after-decline\"");
    assertThat(count(out, "\"peer_ids\": [\"" + ATTACKER_ID + "\"]")).isEqualTo(2);
  }

  @Test
  void oneValidJwtSvidDoesNotCarryAForgedSubjectBehindADeclinedUpgrade() {
    String token = spire.cluster().serverCli("jwt", "mint", "-spiffeID", ATTACKER_ID,
        "-audience", "api", "-ttl", "300s").orThrow().trim();
    token = token.substring(token.lastIndexOf('\n') + 1).trim();

    String out = attack(jwtMesh, "jwt-declined-upgrade", token);

    assertNeverReachedTheApp(out, FORGED + "jwt-declined");

    assertThat(out).contains("\"path\": \"/decline\"");
    // The request behind it carries no token: refused with 401, never forwarded.
    assertThat(out).contains("401").contains("missing_token").doesNotContain("/after-decline\"");
  }

  @Test
  void otherMeshesIdentityHeadersAreReplacedOrRemoved() {
    String out = attack(mesh, "foreign-headers");

    assertNeverReachedTheApp(out, FORGED + "xfcc");

    String xfcc = "By=" + SERVER_ID + ";Hash=" + attackerLeafSha256 + ";URI=" + ATTACKER_ID;
    assertThat(out).contains("[\"X-Forwarded-Client-Cert\", \"" + xfcc + "\"]");
    assertThat(count(out, "[\"X-Forwarded-Client-Cert\"")).as("XFCC lines the app got").isEqualTo(1);
    assertThat(out.toLowerCase(java.util.Locale.ROOT)).doesNotContain("l5d-");
    assertThat(app.output()).doesNotContain("forged.l5d");
  }

  @Test
  void aWebSocketUpgradeTurnsRawOnlyAfterTheApps101() {
    String out = attack(mesh, "websocket");

    assertThat(out).contains(" 101 ").contains("X-Seen-Peer-Id: " + ATTACKER_ID);
    // After the 101 the bytes are frames: relayed untouched both ways, header-like text included.
    assertThat(out).contains("\u0081\u0005hello GET /not-http HTTP/1.1\r\nX-Lanyard-Peer-Id: raw\r\n\r\n");
    assertThat(app.output()).contains("app raw: b'\\x81\\x05hello GET /not-http");
  }

  @Test
  void bytesThatAreNotHttpAreRefusedOnAnHttpPortAndRelayedOnlyOnARawPort() {
    String http = attack(mesh, "not-http");

    assertThat(http).contains("HTTP/1.1 400")
        .contains("lanyard: not an HTTP/1.1 request on mesh port " + mesh + " (first bytes: \"\\x01probe-bytes")
        .contains("LANYARD_INBOUND=" + mesh + ":").contains("/tcp").contains("--- closed");
    assertThat(app.output()).doesNotContain("probe-bytes");
    sidecar.awaitOutput("\"peer_spiffe_id\":\"" + ATTACKER_ID + "\".*\"close\":\"not_http: lanyard: not an"
        + " HTTP/1.1 request on mesh port " + mesh, Duration.ofSeconds(10));

    String raw = attack(rawMesh, "not-http");

    // Relayed untouched: the app's own complaint comes back (no identity header is promised).
    assertThat(raw).contains("Bad request syntax").doesNotContain("lanyard:");
    sidecar.awaitOutput("inbound " + rawMesh + "->127.0.0.1:\\d+ \\(raw TCP, no identity headers\\)",
        Duration.ofSeconds(1));
  }

  private static void assertNeverReachedTheApp(String out, String forged) {
    assertThat(out).doesNotContain(forged);
    assertThat(app.output()).as("what the app received").doesNotContain(forged);
  }

  private static int count(String text, String part) {
    int count = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
      count++;
    }
    return count;
  }

  /** Runs one attacker scenario against {@code port}; returns what it printed. */
  private static String attack(int port, String scenario, String... args) {
    List<String> command = new ArrayList<>(List.of("python3",
        Python.SCRIPTS.resolve("attacker.py").toString(), "127.0.0.1:" + port, scenario));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      try (OutputStream stdin = process.getOutputStream()) {
        stdin.write(attackerSvid.getBytes(StandardCharsets.UTF_8));
      }
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("attacker " + scenario + " did not finish in 60 s");
      }
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as(out).isZero();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
