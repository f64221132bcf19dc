package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals, both directions, each with a clear line naming the refused SPIFFE ID and exactly one
 * audit record (JSON, with the peer's ID when it had one, result, reason and the Downward API
 * attestation); and the other side of the trust rule: a server without a SPIFFE ID, with an
 * ordinary CA certificate, is still reachable for a non-mesh host and refused for a mesh host.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaagentRefusalIT {
  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  @RegisterExtension
  static final SpireExtension foreign = SpireExtension.builder().trustDomain("foreign.test")
      .svidTtl(Duration.ofMinutes(10)).build();

  private Workload server;
  private Workload client;
  private Workload stranger;
  private Workload foreignWorkload;

  @BeforeAll
  void register() {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5101, "/ns/mesh/sa/server");
    client = Workload.register(cluster, 5102, "/ns/mesh/sa/client");
    stranger = Workload.register(cluster, 5103, "/ns/other/sa/stranger");
    foreignWorkload = Workload.register(foreign.cluster(), 5104, "/ns/mesh/sa/client");
    for (Workload workload : List.of(server, client, stranger)) {
      workload.awaitSvid(cluster);
    }
    foreignWorkload.awaitSvid(foreign.cluster());
  }

  @Test
  void aServerRefusesAClientOutsideItsAllowedPeersAndNamesIt() {
    try (Server jetty = Mesh.server(spire.cluster(), server, "JettyServerApp",
        attested(Mesh.env("LANYARD_ALLOWED_PEERS", client.spiffeId())))) {
      ClientRun allowed = Mesh.client(spire.cluster(), client, "JdkHttpClientApp",
          jetty.httpsUrl(), 1, Map.of());
      ClientRun refused = Mesh.client(spire.cluster(), stranger, "JdkHttpClientApp",
          jetty.httpsUrl(), 1, Map.of());

      assertThat(allowed.output()).as(allowed.toString()).contains("SUMMARY ok=1 failed=0");
      assertThat(refused.exit()).as(refused.toString()).isNotZero();
      assertThat(refused.output()).contains("FAIL").contains("SUMMARY ok=0 failed=1");
      jetty.process().awaitOutput("lanyard: .*" + quote(stranger.spiffeId()), Duration.ofSeconds(10));
      assertThat(refusalLine(jetty.process().output(), stranger.spiffeId()))
          .contains("inbound").contains(server.spiffeId());
      // The JDK HttpClient tries a refused GET twice: one record per refused connection.
      AuditRecords.assertOneRefusalPerConnection(jetty.process().output(), "tls.accept",
          stranger.spiffeId());
    }
  }

  @Test
  void aClientRefusesAServerOutsideItsAllowedPeersAndNamesIt() {
    try (Server tomcat = Mesh.server(spire.cluster(), server, "TomcatServerApp", Map.of())) {
      ClientRun refused = Mesh.client(spire.cluster(), client, "OkHttpClientApp",
          tomcat.httpsUrl(), 1, attested(Mesh.env("LANYARD_ALLOWED_PEERS",
              "spiffe://lanyard.test/ns/mesh/sa/someone-else")));

      assertThat(refused.exit()).as(refused.toString()).isNotZero();
      assertThat(refusalLine(refused.output(), server.spiffeId()))
          .contains("outbound").contains(client.spiffeId());
      AuditRecords.assertOneRefusal(refused.output(), "tls.connect", server.spiffeId());
    }
  }

  @Test
  void aServerRefusesAClientFromAnotherTrustDomain(@TempDir Path dir) throws Exception {
    // The foreign client must get far enough to present its SVID. A JDK client would not send a
    // certificate from a CA the server did not name; openssl s_client sends it and does not stop
    // at an unverifiable server, so the server's own judgement is what is tested.
    Path svid = dir.resolve("svid");
    ExportedSvid.fetch(foreign.cluster(), foreignWorkload.gid(), svid);
    try (Server ours = Mesh.server(spire.cluster(), server, "NettyServerApp",
        attested(Mesh.env("LANYARD_ALLOWED_PEERS",
            "spiffe://lanyard.test/**,spiffe://foreign.test/**")))) {
      Command.Result openssl = Command.run(Duration.ofSeconds(30), "bash", "-c",
          "printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | openssl s_client -quiet -connect 127.0.0.1:"
              + ours.port() + " -cert " + svid.resolve("svid.0.pem") + " -key "
              + svid.resolve("svid.0.key"));

      assertThat(openssl.output()).as(openssl.output()).doesNotContain("peer=spiffe://");
      // Naming the other trust domain in the policy does not help: without its bundle nothing verifies.
      ours.process().awaitOutput("lanyard: .*" + quote(foreignWorkload.spiffeId()), Duration.ofSeconds(10));
      assertThat(refusalLine(ours.process().output(), foreignWorkload.spiffeId()))
          .contains("inbound").contains("foreign.test");
      // The ID the foreign certificate claims is recorded, marked as unverified.
      assertThat(AuditRecords.assertOneRefusal(ours.process().output(), "tls.accept",
          foreignWorkload.spiffeId()).path("peer_verified").asBoolean(true)).isFalse();
    }
  }

  @Test
  void aClientRefusesAServerFromAnotherTrustDomain() {
    try (Server theirs = Mesh.server(foreign.cluster(), foreignWorkload, "JdkHttpsServerApp",
        Map.of())) {
      ClientRun outbound = Mesh.client(spire.cluster(), client, "JdkHttpClientApp",
          theirs.httpsUrl(), 1,
          attested(Mesh.env("LANYARD_ALLOWED_PEERS",
              "spiffe://lanyard.test/**,spiffe://foreign.test/**")));

      assertThat(outbound.exit()).as(outbound.toString()).isNotZero();
      assertThat(refusalLine(outbound.output(), foreignWorkload.spiffeId()))
          .contains("outbound").contains("foreign.test");
      AuditRecords.assertOneRefusal(outbound.output(), "tls.connect", foreignWorkload.spiffeId());
    }
  }

  @Test
  void anOrdinaryHttpsServerStillWorksForANonMeshHostAndIsRefusedForAMeshHost(@TempDir Path dir)
      throws Exception {
    TestPki pki = TestPki.create("public-ca");
    TestPki.Issued web = pki.server("localhost", List.of("localhost"), List.of("127.0.0.1"));
    Path keystore = write(dir.resolve("server.p12"), web.keyStore("changeit".toCharArray()));
    Path truststore = write(dir.resolve("trust.p12"), pki.trustStore());
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));

    try (Server plainWeb = Mesh.server(spire.cluster(), null, "JdkHttpsServerApp", Map.of(),
        "--tls", "keystore", "--keystore", keystore.toString(), "--password", "changeit")) {
      String[] trustTheWebCa = {"-Djavax.net.ssl.trustStore=" + truststore,
          "-Djavax.net.ssl.trustStorePassword=changeit"};
      ClientRun nonMesh = run(client, plainWeb.httpsUrl(), Map.of(), trustTheWebCa);
      ClientRun mesh = run(client, plainWeb.httpsUrl(),
          attested(Mesh.env("LANYARD_MESH_HOSTS", "localhost")), trustTheWebCa);

      assertThat(nonMesh.output()).as(nonMesh.toString())
          .contains("OK status=200 server_peer=none").contains("SUMMARY ok=1 failed=0");
      assertThat(mesh.exit()).as(mesh.toString()).isNotZero();
      assertThat(mesh.output()).containsPattern("lanyard:.*localhost.*SPIFFE");
      // A peer without a SPIFFE ID: no peer_spiffe_id, its certificate subject instead.
      assertThat(AuditRecords.assertOneRefusal(mesh.output(), "tls.connect", null)
          .path("peer_subject").asText()).contains("localhost");
    }
  }

  private ClientRun run(Workload workload, String url, Map<String, String> env, String... jvmArgs) {
    try (var process = Mesh.app("JdkHttpClientApp", spire.cluster(), workload, "JdkHttpClientApp",
        env, "--url", url, "--requests", "1", "--tls", "default").jvmArg(jvmArgs).start()) {
      return new ClientRun("JdkHttpClientApp", process.awaitExit(Duration.ofSeconds(60)), process.output());
    }
  }

  /** {@code env} plus the Downward API variables the webhook sets. */
  private static Map<String, String> attested(Map<String, String> env) {
    Map<String, String> all = new java.util.LinkedHashMap<>(env);
    all.putAll(AuditRecords.DOWNWARD_API);
    return all;
  }

  /** The one lanyard line that names {@code spiffeId}; fails if there is none. */
  private static String refusalLine(String output, String spiffeId) {
    return output.lines().filter(line -> line.contains("lanyard:") && line.contains(spiffeId))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no lanyard line naming " + spiffeId + " in:\n" + output));
  }

  private static String quote(String text) {
    return java.util.regex.Pattern.quote(text);
  }

  private static Path write(Path file, KeyStore store) throws Exception {
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, "changeit".toCharArray());
    }
    return file;
  }
}
