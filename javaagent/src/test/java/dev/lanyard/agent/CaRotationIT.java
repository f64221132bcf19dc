package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.FixedTlsPeer;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.TestPki.Issued;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9 point 6, CA rotation with traffic: {@code spire-server localauthority x509 prepare},
 * {@code activate}, {@code taint}, {@code revoke}, while a javaagent OkHttp client JVM makes a new
 * connection per request (2 threads, every 100 ms) to a javaagent JDK {@code HttpsServer} JVM.
 *
 * <p>The server's SVIDs live 30 s, so after {@code activate} its next SVID (at half-life) comes
 * from the new CA, which the client must already trust: the test waits for both JVMs to hold the
 * prepared CA in their bundle before it activates it, as an operator would. The client's SVID lives
 * 10 min, so it still comes from the old CA when the old CA is tainted: only the taint makes the
 * SPIRE Agent re-issue it, and the server must then accept the new-CA client SVID. No request may
 * fail through any of it. After {@code revoke}, the old CA leaves both bundles, and a peer that
 * holds only an SVID from the old CA (a real one, fetched from the SPIRE Agent before the
 * rotation) is refused in both directions, with one audit record naming its ID and the reason;
 * the same SVID was accepted before the revoke (so the revoke, not something else, refuses it).
 */
class CaRotationIT {
  private static final Duration SERVER_TTL = Duration.ofSeconds(30);
  private static final Duration LONG_TTL = Duration.ofMinutes(10);
  /** SPIRE Agent sync (5 s) twice, plus slack for a loaded machine. */
  private static final Duration BUNDLE_BOUND = Duration.ofSeconds(20);
  /** Half the server's SVID TTL (its renewal point) + one sync (5 s) + slack. */
  private static final Duration ACTIVATE_BOUND = SERVER_TTL.dividedBy(2).plusSeconds(15);
  /** One sync to learn of the taint, the re-issue, one more sync, slack. */
  private static final Duration TAINT_BOUND = Duration.ofSeconds(30);
  /**
   * From activate or taint to the first full handshake with the new SVID. Connections in between
   * may resume sessions made before it (up to 12 s before SessionPolicy's rotation watch), so this
   * is generous: the old server SVID's life plus slack.
   */
  private static final Duration IN_USE_BOUND = SERVER_TTL.plusSeconds(15);
  private static final Pattern SERIAL = Pattern.compile("\"serial\"\\s*:\\s*\"([0-9a-f]+)\"");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(SERVER_TTL).build();

  private final Map<String, Object> figures = new LinkedHashMap<>();
  private final AtomicInteger fetches = new AtomicInteger();
  private Path scratch;

  @Test
  void prepareActivateTaintFailNoRequestAndRevokeRefusesAnOldCaPeer() throws Exception {
    SpireCluster cluster = spire.cluster();
    scratch = Files.createTempDirectory("lanyard-ca-rotation-");
    String td = "spiffe://" + cluster.trustDomain();
    Workload server = register(cluster, 5331, td + "/ns/rotation/sa/server", SERVER_TTL);
    Workload client = register(cluster, 5332, td + "/ns/rotation/sa/client", LONG_TTL);
    Workload legacy = register(cluster, 5333, td + "/ns/rotation/sa/legacy", LONG_TTL);
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    legacy.awaitSvid(cluster);
    List<X509Certificate> bundleBefore = TestPki.parseCertificates(cluster.bundlePem());
    assertThat(bundleBefore).hasSize(1);
    X509Certificate oldCa = bundleBefore.get(0);
    // The peer that will keep only an old-CA SVID: a real SVID, taken now, before any rotation.
    Issued oldSvid = issued(ExportedSvid.fetch(cluster, legacy.gid(), scratch.resolve("legacy")));
    assertThat(TestPki.signedBy(oldSvid.certificate(), oldCa)).isTrue();

    String serverAdmin = "127.0.0.1:" + FreePorts.next();
    String clientAdmin = "127.0.0.1:" + FreePorts.next();
    Map<String, String> audited = new LinkedHashMap<>(AuditRecords.DOWNWARD_API);
    audited.put("LANYARD_AUDIT", "all");
    long started = System.nanoTime();
    try (Server jdk = Mesh.server(cluster, server, "JdkHttpsServerApp",
            with(audited, "LANYARD_ADMIN_ADDRESS", serverAdmin));
        JvmProcess traffic = Mesh.app("rotation-client", cluster, client, "OkHttpClientApp",
            with(audited, "LANYARD_ADMIN_ADDRESS", clientAdmin), "--url", jdk.httpsUrl(),
            "--requests", "0", "--interval-ms", "100", "--concurrency", "2", "--timeout-ms",
            "5000", "--tls", "default", "--new-connection-per-request").start()) {
      traffic.awaitOutput("OK status=200 server_peer=" + Pattern.quote(server.spiffeId()),
          Duration.ofSeconds(60));
      SerialWatch serverSerials = new SerialWatch(serverAdmin);
      Map<String, Integer> okByPhase = new LinkedHashMap<>();
      int mark = count(traffic.output(), "OK ");

      // prepare: the new CA joins the bundle; SVIDs still come from the old one.
      Instant prepared = Instant.now();
      String newCaId = cluster.prepareCa();
      List<X509Certificate> bundleBoth = TestPki.parseCertificates(cluster.bundlePem());
      assertThat(bundleBoth).hasSize(2);
      X509Certificate newCa = bundleBoth.stream().filter(ca -> !ca.equals(oldCa)).findFirst()
          .orElseThrow();
      Duration serverBundle = awaitBundle(serverAdmin, newCa, true, prepared);
      Duration clientBundle = awaitBundle(clientAdmin, newCa, true, prepared);
      figures.put("new CA in the bundles after prepare (server, client)",
          ms(serverBundle) + ", " + ms(clientBundle));
      Thread.sleep(3_000); // traffic on the two-CA bundles before the activate
      okByPhase.put("prepare", count(traffic.output(), "OK ") - mark);
      mark = count(traffic.output(), "OK ");

      // activate: the server's next SVID (at half of its 30 s) is signed by the new CA.
      Instant activated = Instant.now();
      cluster.activateCa(newCaId);
      Svid serverNew =
          awaitSvidFrom(cluster, server, serverAdmin, newCa, activated, ACTIVATE_BOUND);
      Instant serverNewInUse = AuditRecords.firstUse(traffic::output, "tls.connect",
          serverNew.serial(), activated, IN_USE_BOUND);
      figures.put("server SVID from the new CA after activate", ms(serverNew.after())
          + " (serial " + serverNew.serial() + ")");
      figures.put("first handshake with it after activate",
          ms(Duration.between(activated, serverNewInUse)));
      // The client's 10 min SVID still comes from the old CA: only the taint will replace it.
      Svid clientOld = settledSvid(cluster, client, clientAdmin);
      assertThat(TestPki.signedBy(clientOld.leaf(), oldCa)).as("client SVID before the taint")
          .isTrue();
      okByPhase.put("activate", count(traffic.output(), "OK ") - mark);
      mark = count(traffic.output(), "OK ");

      // taint: the SPIRE Agent re-issues every SVID the old CA signed.
      Instant tainted = Instant.now();
      cluster.taintOldCa();
      Svid clientNew = awaitSvidFrom(cluster, client, clientAdmin, newCa, tainted, TAINT_BOUND);
      Instant clientNewInUse = AuditRecords.firstUse(jdk.process()::output, "tls.accept",
          clientNew.serial(), tainted, IN_USE_BOUND);
      figures.put("client SVID re-issued from the new CA after taint", ms(clientNew.after())
          + " (serial " + clientOld.serial() + " -> " + clientNew.serial() + ")");
      figures.put("first handshake with it after taint",
          ms(Duration.between(tainted, clientNewInUse)));
      // Still in the bundle: the old-CA peer is accepted (control for the revoke below). It
      // keeps its TLS context, so after the revoke it offers to resume the session made now.
      int serverMark = jdk.process().output().length();
      SSLContext oldCaContext = oldSvid.presentingContext();
      for (int i = 0; i < 2; i++) {
        assertThat(FixedTlsPeer.get(oldCaContext, jdk.port())).as("old-CA client before the revoke")
            .contains("200").contains(legacy.spiffeId());
      }
      long controlHandshakes = AuditRecords.in(jdk.process().output().substring(serverMark),
          node -> legacy.spiffeId().equals(node.path("peer_spiffe_id").asText())).size();
      figures.put("old-CA client before the revoke", "2 requests, 200, " + controlHandshakes
          + " full handshake(s)");
      try (FixedTlsPeer oldCaServer = new FixedTlsPeer(oldSvid)) {
        ClientRun run = Mesh.client(cluster, client, "OkHttpClientApp", oldCaServer.url(), 1,
            with(audited, "LANYARD_MESH_HOSTS", "localhost"));
        assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=1 failed=0")
            .contains("server_peer=" + legacy.spiffeId());
      }
      okByPhase.put("taint", count(traffic.output(), "OK ") - mark);
      mark = count(traffic.output(), "OK ");

      // revoke: the old CA leaves the bundle everywhere.
      assertThat(TestPki.signedBy(settledSvid(cluster, server, serverAdmin).leaf(), newCa))
          .isTrue();
      assertThat(TestPki.signedBy(settledSvid(cluster, client, clientAdmin).leaf(), newCa))
          .isTrue();
      Instant revoked = Instant.now();
      cluster.revokeOldCa();
      assertThat(TestPki.parseCertificates(cluster.bundlePem())).containsExactly(newCa);
      Duration serverDropped = awaitBundle(serverAdmin, oldCa, false, revoked);
      Duration clientDropped = awaitBundle(clientAdmin, oldCa, false, revoked);
      figures.put("old CA gone from the bundles after revoke (server, client)",
          ms(serverDropped) + ", " + ms(clientDropped));

      // Inbound: the javaagent server refuses the old-CA client, with one audit record.
      int refusalMark = jdk.process().output().length();
      String seen = FixedTlsPeer.get(oldCaContext, jdk.port());
      assertThat(seen).as("old-CA client after the revoke").doesNotContain("200")
          .doesNotContain("peer=");
      JsonNode inbound = AuditRecords.assertOneRefusalSince(() -> jdk.process().output(),
          refusalMark, "tls.accept", legacy.spiffeId());
      assertOldCaRefusal(inbound, legacy.spiffeId());
      // Outbound: a javaagent client refuses the old-CA server, with one audit record.
      try (FixedTlsPeer oldCaServer = new FixedTlsPeer(oldSvid)) {
        ClientRun run = Mesh.client(cluster, client, "OkHttpClientApp", oldCaServer.url(), 1,
            with(audited, "LANYARD_MESH_HOSTS", "localhost"));
        assertThat(run.exit()).as(run.toString()).isNotZero();
        assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=0 failed=1")
            .doesNotContain("OK status=");
        assertThat(oldCaServer.served()).as("requests the old-CA server got").isZero();
        JsonNode outbound = AuditRecords.assertOneRefusal(run.output(), "tls.connect",
            legacy.spiffeId());
        assertOldCaRefusal(outbound, legacy.spiffeId());
        figures.put("refusals after revoke", "inbound: " + inbound.path("reason").asText()
            + " | outbound: " + outbound.path("reason").asText());
      }
      Thread.sleep(3_000); // traffic keeps flowing on the new CA alone
      okByPhase.put("revoke", count(traffic.output(), "OK ") - mark);
      traffic.stop();
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      String summary = summary(traffic.output());
      List<JsonNode> serverDenials = AuditRecords.in(jdk.process().output().substring(serverMark),
          node -> !"allowed".equals(node.path("result").asText()));
      List<JsonNode> clientDenials = AuditRecords.in(traffic.output(),
          node -> !"allowed".equals(node.path("result").asText()));
      figures.put("traffic", summary + ", ok per phase " + okByPhase);
      figures.put("server serials seen by the client's full handshakes after prepare",
          timeline(traffic, "tls.connect", prepared));
      figures.put("client serials seen by the server's full handshakes after prepare",
          timeline(jdk.process(), "tls.accept", prepared));
      serverSerials.close();
      Map<String, Optional<Duration>> handshakeDelays =
          serverSerials.delays(traffic, "tls.connect");
      figures.put("server SVIDs: first in /identity -> first full handshake of the client with it",
          handshakeDelays);
      figures.put("took", took.toSeconds() + " s; SVID fetches from the SPIRE Agent " + fetches);
      System.out.println("FIGURES ca-rotation: " + figures);

      assertThat(summary).as(failures(traffic.output()))
          .matches("SUMMARY ok=[1-9]\\d* failed=0 .*");
      okByPhase.forEach((phase, ok) -> assertThat(ok).as("requests during " + phase)
          .isGreaterThan(5));
      // No resumed session of the previous server SVID outlives SessionPolicy's watch after a
      // rotation (5 s); a serial that arrived just before the traffic stopped may have none.
      handshakeDelays.forEach((serial, delay) -> delay.ifPresent(d -> assertThat(d)
          .as("server SVID " + serial + " first used after it arrived")
          .isLessThan(Duration.ofSeconds(6))));
      assertThat(clientDenials).as("refusals in the traffic client").isEmpty();
      assertThat(serverDenials).as("refusals at the server: only the old-CA client")
          .hasSize(1);
      assertThat(AuditRecords.in(jdk.process().output(),
          node -> !"allowed".equals(node.path("result").asText()))).hasSize(1);
    }
  }

  private static void assertOldCaRefusal(JsonNode record, String legacyId) {
    assertThat(record.path("rule").asText()).as(record.toString())
        .isEqualTo("chain_not_trusted");
    assertThat(record.path("reason").asText()).as(record.toString())
        .contains(legacyId).contains("does not chain to the trust bundle");
  }

  private static Workload register(SpireCluster cluster, int gid, String id, Duration ttl) {
    cluster.register(id, ttl, "unix:gid:" + gid);
    return new Workload(gid, id);
  }

  /** An SVID: its leaf, its serial (hex, as /identity and audit records print it), when seen. */
  private record Svid(X509Certificate leaf, String serial, Duration after) {}

  /**
   * Waits until the JVM's current SVID (its /identity serial) is one the SPIRE Agent serves and
   * that {@code ca} signed; returns it with the time since {@code since}, asserted within {@code
   * bound}.
   */
  private Svid awaitSvidFrom(SpireCluster cluster, Workload workload, String admin,
      X509Certificate ca, Instant since, Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    Svid last = null;
    while (System.nanoTime() < deadline) {
      last = currentSvid(cluster, workload, admin);
      if (last != null && TestPki.signedBy(last.leaf(), ca)) {
        Duration after = Duration.between(since, Instant.now());
        return new Svid(last.leaf(), last.serial(), after);
      }
      Thread.sleep(500);
    }
    throw new AssertionError(workload.spiffeId() + " has no SVID from the new CA within " + bound
        + " (last: " + (last == null ? "none matching the SPIRE Agent's" : last.serial()) + ")\n"
        + cluster.logs());
  }

  /** {@link #currentSvid} once the JVM and the SPIRE Agent agree (within 15 s). */
  private Svid settledSvid(SpireCluster cluster, Workload workload, String admin)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      Svid svid = currentSvid(cluster, workload, admin);
      if (svid != null) {
        return svid;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the SVID in /identity at " + admin + " is not the one the SPIRE"
        + " Agent serves to " + workload.spiffeId() + " within 15 s");
  }

  /**
   * The JVM's current SVID as the SPIRE Agent serves it to the same workload (the SPIRE Agent
   * caches one SVID per entry, so the serials match once the JVM has the update); null while they
   * differ.
   */
  private Svid currentSvid(SpireCluster cluster, Workload workload, String admin) throws Exception {
    Matcher serial = SERIAL.matcher(Admin.get(admin, "/identity").body());
    assertThat(serial.find()).as("/identity of " + workload.spiffeId()).isTrue();
    ExportedSvid fetched = ExportedSvid.fetch(cluster, workload.gid(),
        scratch.resolve("fetch-" + fetches.incrementAndGet()));
    X509Certificate leaf = (X509Certificate) fetched.chain().get(0);
    String agentSerial = leaf.getSerialNumber().toString(16);
    return agentSerial.equals(serial.group(1)) ? new Svid(leaf, agentSerial, Duration.ZERO) : null;
  }

  /** Waits until /identity lists {@code ca} in its trust bundle (or no longer does). */
  private static Duration awaitBundle(String admin, X509Certificate ca, boolean present,
      Instant since) throws Exception {
    String fingerprint = sha256(ca);
    long deadline = System.nanoTime() + BUNDLE_BOUND.toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      body = Admin.get(admin, "/identity").body();
      if (body.contains(fingerprint) == present) {
        return Duration.between(since, Instant.now());
      }
      Thread.sleep(200);
    }
    throw new AssertionError("CA " + fingerprint + (present ? " not in" : " still in")
        + " the bundle at " + admin + " after " + BUNDLE_BOUND + ": " + body);
  }

  /**
   * Per peer serial in {@code action} audit records since {@code since}: how many full handshakes
   * saw it, and the first and last time (seconds after {@code since}).
   */
  private static String timeline(JvmProcess process, String action, Instant since) {
    Map<String, List<Instant>> bySerial = new LinkedHashMap<>();
    for (JsonNode node : AuditRecords.in(process.output(), AuditRecords.action(action))) {
      Instant at = Instant.parse(node.path("timestamp").asText());
      if (at.isAfter(since)) {
        bySerial.computeIfAbsent(node.path("peer_serial").asText(), k -> new ArrayList<>()).add(at);
      }
    }
    StringBuilder out = new StringBuilder();
    bySerial.forEach((serial, times) -> out.append(serial, 0, Math.min(8, serial.length()))
        .append(": ").append(times.size()).append(" at ")
        .append(String.format("%.1f-%.1f s; ",
            Duration.between(since, times.get(0)).toMillis() / 1e3,
            Duration.between(since, times.get(times.size() - 1)).toMillis() / 1e3)));
    return out.toString();
  }

  private static String sha256(X509Certificate certificate) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
  }

  private static Issued issued(ExportedSvid svid) {
    List<X509Certificate> chain = new ArrayList<>();
    for (Certificate certificate : svid.chain()) {
      chain.add((X509Certificate) certificate);
    }
    return new Issued(chain.get(0), svid.key(), chain);
  }
  /** A TLS server presenting the old-CA SVID and answering each request with 200. */
  private static Map<String, String> with(Map<String, String> base, String... keyValues) {
    Map<String, String> env = new LinkedHashMap<>(base);
    env.putAll(Mesh.env(keyValues));
    return env;
  }

  private static int count(String output, String prefix) {
    return (int) output.lines().filter(line -> line.startsWith(prefix)).count();
  }

  private static String ms(Duration duration) {
    return duration.toMillis() + " ms";
  }

  private static String failures(String output) {
    return output.lines().filter(line -> line.startsWith("FAIL")).limit(10)
        .reduce("", (a, b) -> a + b + "\n");
  }

  private static String summary(String output) {
    return output.lines().filter(line -> line.startsWith("SUMMARY")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no SUMMARY line in:\n" + output));
  }
}
