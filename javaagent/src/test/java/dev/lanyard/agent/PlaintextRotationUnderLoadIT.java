package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.agent.PlaintextUpgradeIT.Upgraded;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, rotation under load on plaintext-upgraded connections. A plain-HTTP JDK
 * {@code HttpServer} upgraded by {@code LANYARD_UPGRADE_INBOUND=<port>=strict} and two plain-HTTP
 * clients upgraded by {@code LANYARD_UPGRADE_OUTBOUND=<port>=strict}, all on 30 s X.509-SVIDs (so
 * the SPIRE Agent rotates each about every 15 s): a JDK {@code HttpClient} on keep-alive
 * connections and an OkHttp client with a new connection per request, both sending continuously,
 * through a relay that sees only TLS records. The traffic runs until each side's SVID has rotated
 * at least 3 times under it (its admin {@code /identity} serial) and the peer has recorded each new
 * serial in its audit (SPIRE re-issued these 30 s SVIDs every 10-15 s here); then: no request failed, and once the server's /identity shows a new SVID, no later
 * full handshake of a new connection carries an older one. No rates are asserted (bench/ measures
 * those).
 */
class PlaintextRotationUnderLoadIT {
  private static final Duration TTL = Duration.ofSeconds(30);
  /** 3 rotations at half of 30 s, plus a first SVID already part-way through its life, plus slack. */
  private static final Duration TRAFFIC_BOUND = Duration.ofSeconds(150);
  /** How long after a new serial shows in /identity an in-flight handshake may still carry the old. */
  private static final Duration SWITCH_GRACE = Duration.ofSeconds(2);
  private static final String HOST = "orders.shop";

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(TTL).build();

  @TempDir
  static Path dir;

  @Test
  void noRequestFailsAcrossThreeRotationsOfBothSvidsAndNewConnectionsCarryTheNewOne()
      throws Exception {
    SpireCluster cluster = spire.cluster();
    Workload server = Workload.register(cluster, 5961, "/ns/shop/sa/orders");
    Workload client = Workload.register(cluster, 5962, "/ns/shop/sa/frontend");
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    String hostsFile = "-Djdk.net.hosts.file="
        + Files.writeString(dir.resolve("hosts"), "127.0.0.1 " + HOST + "\n");

    long started = System.nanoTime();
    try (Upgraded upgraded = Upgraded.start(cluster, server, "JdkHttpsServerApp", "strict");
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port());
        Traffic keepAlive = Traffic.start(cluster, client, "JdkHttpClientApp", wire.port(),
            hostsFile, false);
        Traffic fresh = Traffic.start(cluster, client, "OkHttpClientApp", wire.port(), hostsFile,
            true);
        // Watched from here: the rotations counted are the ones under traffic.
        SerialWatch serverSerials = new SerialWatch(upgraded.admin());
        SerialWatch clientSerials = new SerialWatch(fresh.admin())) {
      long deadline = System.nanoTime() + TRAFFIC_BOUND.toNanos();
      while (System.nanoTime() < deadline && !(serverSerials.rotated().size() >= 3
          && clientSerials.rotated().size() >= 3
          && seenBy(fresh.process(), "tls.connect", serverSerials.rotated())
          && seenBy(upgraded.process(), "tls.accept", clientSerials.rotated()))) {
        Thread.sleep(1_000);
      }
      String timelines = "server /identity serials " + serverSerials + "\nclient /identity serials "
          + clientSerials + "\nnew-connection client's tls.connect: "
          + timeline(fresh.process(), "tls.connect")
          + "\nserver's tls.accept: " + timeline(upgraded.process(), "tls.accept");
      // Stopped by SIGTERM (exit 143): the runner's shutdown hook prints the SUMMARY line.
      keepAlive.process().stop();
      fresh.process().stop();
      System.out.printf("PLAINTEXT ROTATION traffic %d s%n%s%n",
          Duration.ofNanos(System.nanoTime() - started).toSeconds(), timelines);

      assertThat(serverSerials.rotated()).as("server SVID rotations under traffic\n" + timelines)
          .hasSizeGreaterThanOrEqualTo(3);
      assertThat(clientSerials.rotated()).as("client SVID rotations under traffic\n" + timelines)
          .hasSizeGreaterThanOrEqualTo(3);
      assertThat(distinctPeerSerials(fresh.process(), "tls.connect"))
          .as("each new server SVID in the client's tls.connect records\n" + timelines)
          .containsAll(serverSerials.rotated());
      assertThat(distinctPeerSerials(upgraded.process(), "tls.accept"))
          .as("each new client SVID in the server's tls.accept records\n" + timelines)
          .containsAll(clientSerials.rotated());
      for (Traffic traffic : List.of(keepAlive, fresh)) {
        String output = traffic.process().output();
        assertThat(output).as(traffic.app() + " under rotation").doesNotContain("\nFAIL ")
            .containsPattern("SUMMARY ok=[1-9][0-9]* failed=0 ");
      }
      assertThat(handshakes(keepAlive.process()))
          .as("the keep-alive client reuses its connections: handshakes < requests")
          .isLessThan(okCount(keepAlive.process()));
      assertNoOlderSerialAfterANewer(fresh.process(), serverSerials, timelines);
      assertThat(wire.violations()).as("bytes on the wire that were not TLS records").isEmpty();
    }
  }

  /**
   * Once the server's /identity shows serial k, every full handshake of a new connection later
   * than {@link #SWITCH_GRACE} carries serial k or a newer one.
   */
  private static void assertNoOlderSerialAfterANewer(JvmProcess client, SerialWatch serverSerials,
      String timelines) {
    List<String> order = serverSerials.inOrder();
    for (JsonNode record : allowed(client.output(), "tls.connect")) {
      Instant at = Instant.parse(record.path("timestamp").asText());
      int carried = order.indexOf(record.path("peer_serial").asText());
      for (int k = carried + 1; k < order.size(); k++) {
        Instant newerSince = serverSerials.firstSeen(order.get(k));
        assertThat(at).as("a new connection at " + at + " carried server serial "
            + record.path("peer_serial").asText() + " although " + order.get(k)
            + " was current since " + newerSince + "\n" + timelines)
            .isBefore(newerSince.plus(SWITCH_GRACE));
      }
    }
  }

  private static boolean seenBy(JvmProcess peer, String action, List<String> serials) {
    return distinctPeerSerials(peer, action).containsAll(serials);
  }

  private static List<String> distinctPeerSerials(JvmProcess peer, String action) {
    return allowed(peer.output(), action).stream()
        .map(record -> record.path("peer_serial").asText()).distinct().toList();
  }

  private static long handshakes(JvmProcess client) {
    return allowed(client.output(), "tls.connect").size();
  }

  private static long okCount(JvmProcess client) {
    return client.output().lines().filter(line -> line.startsWith("OK ")).count();
  }

  private static List<JsonNode> allowed(String output, String action) {
    List<JsonNode> records = new ArrayList<>();
    for (JsonNode record : AuditRecords.in(output, AuditRecords.action(action))) {
      if ("allowed".equals(record.path("result").asText())) {
        records.add(record);
      }
    }
    return records;
  }

  /** Per peer serial (first 8 hex digits): full handshakes and the first/last time. */
  private static String timeline(JvmProcess process, String action) {
    Map<String, List<Instant>> bySerial = new LinkedHashMap<>();
    for (JsonNode record : allowed(process.output(), action)) {
      String serial = record.path("peer_serial").asText();
      bySerial.computeIfAbsent(serial.substring(0, Math.min(8, serial.length())),
          k -> new ArrayList<>()).add(Instant.parse(record.path("timestamp").asText()));
    }
    return bySerial.entrySet().stream().map(entry -> entry.getKey() + " x"
        + entry.getValue().size() + " " + entry.getValue().get(0) + ".."
        + entry.getValue().get(entry.getValue().size() - 1)).collect(Collectors.joining("; "));
  }

  /** A plain-HTTP client app sending until stopped, with the outbound upgrade and an admin port. */
  private record Traffic(String app, JvmProcess process, String admin) implements AutoCloseable {
    static Traffic start(SpireCluster cluster, Workload client, String app, int port,
        String hostsFile, boolean newConnectionPerRequest) {
      String admin = "127.0.0.1:" + dev.lanyard.testkit.FreePorts.next();
      Map<String, String> env = new LinkedHashMap<>(Mesh.env(
          "LANYARD_UPGRADE_OUTBOUND", port + "=strict", "LANYARD_AUDIT", "all",
          "LANYARD_ADMIN_ADDRESS", admin));
      env.putAll(AuditRecords.DOWNWARD_API);
      List<String> args = new ArrayList<>(List.of("--url", "http://" + HOST + ":" + port
          + "/hello", "--requests", "0", "--interval-ms", "100", "--concurrency", "2",
          "--timeout-ms", "10000", "--tls", "plain"));
      if (newConnectionPerRequest) {
        args.add("--new-connection-per-request");
      }
      JvmProcess process = Mesh.app(app, cluster, client, app, env, args.toArray(String[]::new))
          .jvmArg(hostsFile).start();
      try {
        process.awaitOutput("OK status=200 server_peer=none", Duration.ofSeconds(60));
        return new Traffic(app, process, admin);
      } catch (RuntimeException e) {
        process.close();
        throw e;
      }
    }

    @Override
    public void close() {
      process.close();
    }
  }
}
