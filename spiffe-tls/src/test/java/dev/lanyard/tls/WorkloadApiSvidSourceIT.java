package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link WorkloadApiSvidSource} against a real SPIRE server and SPIRE Agent. */
class WorkloadApiSvidSourceIT {
  private static final Duration TTL = Duration.ofSeconds(30);
  /** SPIRE backdates notBefore (up to 10 s) to absorb clock skew. */
  private static final Duration BACKDATE = Duration.ofSeconds(11);
  private static final String ID = "spiffe://lanyard.test/ns/it/sa/source";

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(TTL).build();

  @BeforeAll
  static void registerThisJvm() {
    // One entry for our uid: this JVM is the workload (a second entry would make the default
    // SVID ambiguous).
    SpireCluster cluster = spire.cluster();
    cluster.register(ID, "unix:uid:" + Command.currentUid());
    cluster.awaitSvid(Command.currentUid(), ID, Duration.ofSeconds(30));
  }

  @Test
  void theFirstSvidHasTheRegisteredIdAndTtlAndAValidatedBundle() throws Exception {
    try (WorkloadApiSvidSource source = WorkloadApiSvidSource.start(address())) {
      assertThat(source.awaitFirst(Duration.ofSeconds(30))).isTrue();

      Identity identity = source.current().orElseThrow();
      assertThat(identity.spiffeId().toString()).isEqualTo(ID);
      assertThat(Duration.between(identity.notBefore(), identity.notAfter()))
          .isBetween(TTL, TTL.plus(BACKDATE));
      assertThat(source.bundles().asMap()).containsOnlyKeys("lanyard.test");
      assertThat(source.lastError()).isEmpty();
    }
  }

  @Test
  void aRotationIsObservedWithinOneTtlAndCounted() throws Exception {
    try (WorkloadApiSvidSource source = WorkloadApiSvidSource.start(address())) {
      List<String> updates = new CopyOnWriteArrayList<>();
      source.addListener((previous, current, bundles) -> updates.add(
          (previous == null ? "none" : previous.serialHex()) + "->" + current.serialHex()));
      assertThat(source.awaitFirst(Duration.ofSeconds(30))).isTrue();
      BigInteger first = source.current().orElseThrow().serial();

      BigInteger rotated = awaitSerialOtherThan(source, first, TTL);

      assertThat(rotated).isNotEqualTo(first);
      assertThat(source.rotationCount()).isGreaterThanOrEqualTo(1);
      assertThat(updates).contains(first.toString(16) + "->" + rotated.toString(16));
      assertThat(source.current().orElseThrow().spiffeId().toString()).isEqualTo(ID);
    }
  }

  @Test
  void theRealSvidCarriesMutualTlsAndTheAdminEndpointReportsIt() throws Exception {
    try (LanyardTls tls = LanyardTls.builder(config("wait=30s,then=fail"))
        .svidSource(WorkloadApiSvidSource.start(address()))
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
        LoopbackTls.Server server = new LoopbackTls.Server(tls.newSslContext(), true)) {
      assertThat(tls.awaitStartup()).isEqualTo(LanyardTls.StartupState.READY);

      SSLSession session = LoopbackTls.call(tls.newSslContext(), "it.svc", server.port(), false);

      assertThat(LoopbackTls.firstUri(session)).isEqualTo(ID);
      assertThat(server.next().peerUri).isEqualTo(ID);
    }
  }

  @Test
  void withNoWorkloadApiAtStartDegradedStartupReturnsInTimeAndTheSvidArrivesLater()
      throws Exception {
    SpireCluster cluster = spire.cluster();
    cluster.stopAgent();
    try (LanyardTls tls = LanyardTls.builder(config("wait=2s,then=degrade"))
        .svidSource(WorkloadApiSvidSource.start(address()))
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build()) {
      long start = System.nanoTime();

      LanyardTls.StartupState state = tls.awaitStartup();

      Duration waited = Duration.ofNanos(System.nanoTime() - start);
      assertThat(state).isEqualTo(LanyardTls.StartupState.DEGRADED);
      assertThat(waited).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(4));
      assertThat(tls.svidSource().current()).isEmpty();
      assertThat(tls.svidSource().lastError()).isPresent();

      cluster.startAgent();

      assertThat(tls.svidSource().awaitFirst(Duration.ofSeconds(45))).isTrue();
      assertThat(tls.svidSource().current().orElseThrow().spiffeId().toString()).isEqualTo(ID);
    } finally {
      cluster.startAgent(); // no-op when running; leaves the cluster usable for other tests
    }
  }

  @Test
  void theLastGoodSvidIsKeptWhileTheSpireAgentIsDownAndRotationResumesAfter() throws Exception {
    SpireCluster cluster = spire.cluster();
    try (WorkloadApiSvidSource source = WorkloadApiSvidSource.start(address())) {
      assertThat(source.awaitFirst(Duration.ofSeconds(30))).isTrue();
      Identity held = source.current().orElseThrow();

      cluster.stopAgent();
      Thread.sleep(2000);
      assertThat(source.current()).contains(held);
      assertThat(source.lastError()).isPresent();
      cluster.startAgent();

      BigInteger next = awaitSerialOtherThan(source, held.serial(), TTL.plusSeconds(15));
      assertThat(next).isNotEqualTo(held.serial());
    } finally {
      cluster.startAgent();
    }
  }

  private static String address() {
    return spire.cluster().workloadApiAddress();
  }

  private static LanyardConfig config(String startup) {
    return LanyardConfig.fromEnv(Map.of("LANYARD_STARTUP", startup,
        "LANYARD_ADMIN_ADDRESS", "off"), new Properties());
  }

  private static BigInteger awaitSerialOtherThan(SvidSource source, BigInteger old, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    Set<String> seen = new HashSet<>();
    while (System.nanoTime() < deadline) {
      BigInteger serial = source.current().orElseThrow().serial();
      seen.add(serial.toString(16));
      if (!serial.equals(old)) {
        return serial;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no rotation within " + within + "; serials seen: " + seen
        + "; last error: " + source.lastError().orElse("none"));
  }
}
