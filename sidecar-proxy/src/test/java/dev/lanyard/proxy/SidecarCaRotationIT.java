package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FixedTlsPeer;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.TestPki.Issued;
import dev.lanyard.testkit.Tools;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9 point 6 for the sidecar: CA rotation ({@code spire-server localauthority x509
 * prepare}, {@code activate}, {@code taint}, {@code revoke}) while an app sends requests, each
 * on a new connection, through sidecar A's forward proxy over mTLS to sidecar B's mesh port and
 * the app behind it. B's SVIDs live 30 s (its next SVID after {@code activate} is from the new
 * CA, which A must already trust); A's live 10 min (only the taint replaces A's old-CA SVID, and B
 * must accept the new one). No request may fail. After {@code revoke}, a real SVID from the old
 * CA (fetched before the rotation) is refused by B's mesh port and by A's forward proxy, with one
 * audit record each naming its ID and the reason; the same SVID was accepted before the revoke.
 */
class SidecarCaRotationIT {
  private static final Duration SERVER_TTL = Duration.ofSeconds(30);
  private static final Duration LONG_TTL = Duration.ofMinutes(10);
  private static final Duration BUNDLE_BOUND = Duration.ofSeconds(20);
  private static final Duration ACTIVATE_BOUND = SERVER_TTL.dividedBy(2).plusSeconds(15);
  private static final Duration TAINT_BOUND = Duration.ofSeconds(30);
  /**
   * From activate or taint to the first full handshake with the new SVID. Connections in between
   * resume sessions made before it (seen: up to 12 s), so this is generous: the old server SVID's
   * life plus slack.
   */
  private static final Duration IN_USE_BOUND = SERVER_TTL.plusSeconds(15);
  private static final Pattern SERIAL = Pattern.compile("\"serial\"\\s*:\\s*\"([0-9a-f]+)\"");
  private static final HttpClient ADMIN = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(SERVER_TTL).build();

  private final Map<String, Object> figures = new LinkedHashMap<>();
  private final AtomicInteger fetches = new AtomicInteger();
  private Path scratch;

  @Test
  void prepareActivateTaintFailNoRequestAndRevokeRefusesAnOldCaPeer() throws Exception {
    SpireCluster cluster = spire.cluster();
    scratch = Files.createTempDirectory("lanyard-sidecar-ca-rotation-");
    String td = "spiffe://" + cluster.trustDomain();
    String idA = td + "/ns/rotation/sa/caller";
    String idB = td + "/ns/rotation/sa/server";
    String legacyId = td + "/ns/rotation/sa/legacy";
    int gidA = 6631;
    int gidB = 6632;
    int gidLegacy = 6633;
    cluster.register(idA, LONG_TTL, "unix:gid:" + gidA);
    cluster.register(idB, SERVER_TTL, "unix:gid:" + gidB);
    cluster.register(legacyId, LONG_TTL, "unix:gid:" + gidLegacy);
    for (int gid : new int[] {gidA, gidB, gidLegacy}) {
      cluster.awaitSvidForGid(gid, td + "/ns/rotation/", Duration.ofSeconds(30));
    }
    List<X509Certificate> bundleBefore = TestPki.parseCertificates(cluster.bundlePem());
    assertThat(bundleBefore).hasSize(1);
    X509Certificate oldCa = bundleBefore.get(0);
    Issued oldSvid = fetch(cluster, gidLegacy);
    assertThat(TestPki.signedBy(oldSvid.certificate(), oldCa)).isTrue();

    PeerIdApp app = PeerIdApp.start();
    int meshB = FreePorts.next();
    int proxyA = FreePorts.next();
    SidecarProcess configB = SidecarProcess.builder("sidecar-b", gidB, cluster)
        .env("LANYARD_INBOUND", meshB + ":" + app.port())
        .env("LANYARD_AUDIT", "all");
    SidecarProcess configA = SidecarProcess.builder("sidecar-a", gidA, cluster)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxyA)
        .env("LANYARD_MESH_HOSTS", "localhost")
        .env("LANYARD_AUDIT", "all");
    String adminA = configA.env("LANYARD_ADMIN_ADDRESS");
    String adminB = configB.env("LANYARD_ADMIN_ADDRESS");
    long started = System.nanoTime();
    try (FixedTlsPeer oldCaServer = new FixedTlsPeer(oldSvid);
        JvmProcess sidecarB = configB.start();
        JvmProcess sidecarA = configA.start();
        Traffic traffic = new Traffic(proxyA, meshB, idA)) {
      traffic.awaitOk(Duration.ofSeconds(30));
      Map<String, Integer> okByPhase = new LinkedHashMap<>();
      int mark = traffic.ok();

      Instant prepared = Instant.now();
      String newCaId = cluster.prepareCa();
      List<X509Certificate> both = TestPki.parseCertificates(cluster.bundlePem());
      assertThat(both).hasSize(2);
      X509Certificate newCa =
          both.stream().filter(ca -> !ca.equals(oldCa)).findFirst().orElseThrow();
      Duration bundleB = awaitBundle(adminB, newCa, true, prepared);
      Duration bundleA = awaitBundle(adminA, newCa, true, prepared);
      figures.put("new CA in the bundles after prepare (B, A)", ms(bundleB) + ", " + ms(bundleA));
      Thread.sleep(3_000);
      okByPhase.put("prepare", traffic.ok() - mark);
      mark = traffic.ok();

      Instant activated = Instant.now();
      cluster.activateCa(newCaId);
      Svid bNew = awaitSvidFrom(cluster, gidB, adminB, newCa, activated, ACTIVATE_BOUND);
      Instant bInUse = AuditRecords.firstUse(sidecarA::output, "tls.connect",
          bNew.serial(), activated, IN_USE_BOUND);
      figures.put("B's SVID from the new CA after activate", ms(bNew.after()) + ", first handshake "
          + ms(Duration.between(activated, bInUse)));
      Svid aOld = settledSvid(cluster, gidA, adminA);
      assertThat(TestPki.signedBy(aOld.leaf(), oldCa)).as("A's SVID before the taint").isTrue();
      okByPhase.put("activate", traffic.ok() - mark);
      mark = traffic.ok();

      Instant tainted = Instant.now();
      cluster.taintOldCa();
      Svid aNew = awaitSvidFrom(cluster, gidA, adminA, newCa, tainted, TAINT_BOUND);
      Instant aInUse = AuditRecords.firstUse(sidecarB::output, "tls.accept",
          aNew.serial(), tainted, IN_USE_BOUND);
      figures.put("A's SVID re-issued from the new CA after taint", ms(aNew.after())
          + ", first handshake " + ms(Duration.between(tainted, aInUse)));
      // Control: before the revoke the old-CA SVID is still trusted, both ways.
      int bMark = sidecarB.output().length();
      SSLContext oldCaContext = oldSvid.presentingContext();
      assertThat(FixedTlsPeer.get(oldCaContext, meshB)).startsWith("HTTP/1.1 200")
          .endsWith("peer=" + legacyId);
      assertThat(viaProxy(proxyA, oldCaServer.port())).startsWith("HTTP/1.1 200")
          .containsIgnoringCase("X-Lanyard-Peer-Id: " + legacyId);
      okByPhase.put("taint", traffic.ok() - mark);
      mark = traffic.ok();

      assertThat(TestPki.signedBy(settledSvid(cluster, gidB, adminB).leaf(), newCa)).isTrue();
      assertThat(TestPki.signedBy(settledSvid(cluster, gidA, adminA).leaf(), newCa)).isTrue();
      Instant revoked = Instant.now();
      cluster.revokeOldCa();
      assertThat(TestPki.parseCertificates(cluster.bundlePem())).containsExactly(newCa);
      Duration droppedB = awaitBundle(adminB, oldCa, false, revoked);
      Duration droppedA = awaitBundle(adminA, oldCa, false, revoked);
      figures.put("old CA gone from the bundles after revoke (B, A)",
          ms(droppedB) + ", " + ms(droppedA));

      int refusalMark = sidecarB.output().length();
      String seen = FixedTlsPeer.get(oldCaContext, meshB);
      assertThat(seen).as("old-CA client after the revoke").doesNotContain("200")
          .doesNotContain("peer=");
      JsonNode inbound = AuditRecords.assertOneRefusalSince(sidecarB::output, refusalMark,
          "tls.accept", legacyId);
      assertOldCaRefusal(inbound, legacyId);
      int aMark = sidecarA.output().length();
      int servedBefore = oldCaServer.served();
      String response = viaProxy(proxyA, oldCaServer.port());
      assertThat(response).as(response).startsWith("HTTP/1.1 502").doesNotContain("peer=");
      assertThat(oldCaServer.served()).isEqualTo(servedBefore);
      JsonNode outbound = AuditRecords.assertOneRefusalSince(sidecarA::output, aMark,
          "tls.connect", legacyId);
      assertOldCaRefusal(outbound, legacyId);
      figures.put("refusals after revoke", "inbound: " + inbound.path("reason").asText()
          + " | outbound: " + outbound.path("reason").asText());
      Thread.sleep(3_000);
      okByPhase.put("revoke", traffic.ok() - mark);
      traffic.close();
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      figures.put("traffic", "ok " + traffic.ok() + ", failed " + traffic.failures().size()
          + ", ok per phase " + okByPhase);
      figures.put("took", took.toSeconds() + " s");
      System.out.println("FIGURES sidecar-ca-rotation: " + figures);

      assertThat(traffic.failures()).as("failed requests").isEmpty();
      okByPhase.forEach((phase, ok) -> assertThat(ok).as("requests during " + phase)
          .isGreaterThan(5));
      assertThat(denials(sidecarA.output())).as("refusals at A: only the old-CA server")
          .hasSize(1);
      assertThat(denials(sidecarB.output())).as("refusals at B: only the old-CA client")
          .hasSize(1);
      assertThat(denials(sidecarB.output().substring(bMark))).hasSize(1);
    } finally {
      app.close();
    }
  }

  private static List<JsonNode> denials(String output) {
    return AuditRecords.in(output, node -> !"allowed".equals(node.path("result").asText()));
  }

  private static void assertOldCaRefusal(JsonNode record, String legacyId) {
    assertThat(record.path("rule").asText()).as(record.toString())
        .isEqualTo("chain_not_trusted");
    assertThat(record.path("reason").asText()).as(record.toString())
        .contains(legacyId).contains("does not chain to the trust bundle");
  }

  /** An app sending GETs through A's forward proxy to B, a new connection each, on 2 threads. */
  private static final class Traffic implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger ok = new AtomicInteger();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    Traffic(int proxy, int mesh, String callerId) {
      for (int i = 0; i < 2; i++) {
        Thread thread = new Thread(() -> {
          while (running.get()) {
            String response;
            try {
              response = viaProxy(proxy, mesh);
            } catch (IOException e) {
              response = e.toString();
            }
            if (response.startsWith("HTTP/1.1 200") && response.endsWith("peer=" + callerId)) {
              ok.incrementAndGet();
            } else if (running.get()) {
              failures.add(Instant.now() + " " + response);
            }
            try {
              Thread.sleep(100);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "traffic-" + i);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
    }

    int ok() {
      return ok.get();
    }

    List<String> failures() {
      return failures;
    }

    void awaitOk(Duration within) throws InterruptedException {
      long deadline = System.nanoTime() + within.toNanos();
      while (ok.get() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(ok.get()).as("first request through the mesh; failures: " + failures)
          .isPositive();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread thread : threads) {
        thread.join(25_000);
      }
    }
  }

  /** Sends {@code GET http://localhost:<port>/hello} through a sidecar's forward proxy. */
  private static String viaProxy(int proxy, int port) throws IOException {
    return PeerIdApp.viaProxy(proxy, port, "/hello");
  }

  private record Svid(X509Certificate leaf, String serial, Duration after) {}

  private Svid awaitSvidFrom(SpireCluster cluster, int gid, String admin, X509Certificate ca,
      Instant since, Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    Svid last = null;
    while (System.nanoTime() < deadline) {
      last = currentSvid(cluster, gid, admin);
      if (last != null && TestPki.signedBy(last.leaf(), ca)) {
        return new Svid(last.leaf(), last.serial(), Duration.between(since, Instant.now()));
      }
      Thread.sleep(500);
    }
    throw new AssertionError("gid " + gid + " has no SVID from the new CA within " + bound
        + " (last: " + (last == null ? "none matching the SPIRE Agent's" : last.serial()) + ")\n"
        + cluster.logs());
  }

  private Svid settledSvid(SpireCluster cluster, int gid, String admin) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      Svid svid = currentSvid(cluster, gid, admin);
      if (svid != null) {
        return svid;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the SVID in /identity at " + admin + " is not the one the SPIRE"
        + " Agent serves to gid " + gid + " within 15 s");
  }

  /** The sidecar's SVID as the SPIRE Agent serves it to the same gid; null while they differ. */
  private Svid currentSvid(SpireCluster cluster, int gid, String admin) throws Exception {
    Matcher serial = SERIAL.matcher(identity(admin));
    assertThat(serial.find()).as("/identity at " + admin).isTrue();
    X509Certificate leaf = fetch(cluster, gid).certificate();
    String agentSerial = leaf.getSerialNumber().toString(16);
    return agentSerial.equals(serial.group(1)) ? new Svid(leaf, agentSerial, Duration.ZERO) : null;
  }

  /**
   * What the SPIRE Agent serves to {@code gid}, via {@code spire-agent api fetch x509 -write}
   * (a test's own copy; the sidecar never writes keys).
   */
  private Issued fetch(SpireCluster cluster, int gid) throws Exception {
    Path dir = scratch.resolve("fetch-" + fetches.incrementAndGet());
    Files.createDirectories(dir);
    Command.run(Duration.ofSeconds(30), Command.asGid(gid, List.of(
        Tools.require("spire-agent").toString(), "api", "fetch", "x509",
        "-socketPath", cluster.agentSocket().toString(), "-write", dir.toString()))).orThrow();
    List<X509Certificate> chain = TestPki.parseCertificates(
        Files.readString(dir.resolve("svid.0.pem")));
    String keyPem = Files.readString(dir.resolve("svid.0.key"));
    byte[] der = Base64.getMimeDecoder().decode(keyPem.replaceAll("-----[A-Z ]+-----", ""));
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    return new Issued(chain.get(0), key, chain);
  }

  private static Duration awaitBundle(String admin, X509Certificate ca, boolean present,
      Instant since) throws Exception {
    String fingerprint = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(ca.getEncoded()));
    long deadline = System.nanoTime() + BUNDLE_BOUND.toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      body = identity(admin);
      if (body.contains(fingerprint) == present) {
        return Duration.between(since, Instant.now());
      }
      Thread.sleep(200);
    }
    throw new AssertionError("CA " + fingerprint + (present ? " not in" : " still in")
        + " the bundle at " + admin + " after " + BUNDLE_BOUND + ": " + body);
  }

  private static String identity(String admin) throws Exception {
    return ADMIN.send(HttpRequest.newBuilder(URI.create("http://" + admin + "/identity"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
  private static String ms(Duration duration) {
    return duration.toMillis() + " ms";
  }
}
