package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.DefaultX509Source;
import io.spiffe.workloadapi.X509Source;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's SPIRE is real: java-spiffe gets the registered SVID, with our TTL, and it rotates. */
class SpireClusterIT {
  private static final Duration TTL = Duration.ofSeconds(20);

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(TTL).build();

  @Test
  void javaSpiffeFetchesTheRegisteredSvidWithTheConfiguredTtlAndSeesItRotate() throws Exception {
    SpireCluster cluster = spire.cluster();
    String id = "spiffe://lanyard.test/ns/testkit/sa/self";
    cluster.register(id, "unix:uid:" + Command.currentUid());
    cluster.awaitSvid(Command.currentUid(), id, Duration.ofSeconds(30));

    try (X509Source source = newSource(cluster)) {
      X509Svid first = source.getX509Svid();
      assertThat(first.getSpiffeId().toString()).isEqualTo(id);
      X509Certificate leaf = first.getLeaf();
      long lifetime = leaf.getNotAfter().getTime() - leaf.getNotBefore().getTime();
      // SPIRE backdates notBefore by up to 10 s to absorb clock skew.
      assertThat(Duration.ofMillis(lifetime)).isBetween(TTL, TTL.plusSeconds(11));

      BigInteger firstSerial = leaf.getSerialNumber();
      BigInteger rotated = awaitNewSerial(source, firstSerial, TTL);
      assertThat(rotated).isNotEqualTo(firstSerial);
      assertThat(source.getX509Svid().getSpiffeId().toString()).isEqualTo(id);
    }
  }

  @Test
  void servesTheSvidOnlyToTheRegisteredUid() {
    SpireCluster cluster = spire.cluster();
    String id = "spiffe://lanyard.test/ns/testkit/sa/uid-4242";
    cluster.register(id, "unix:uid:4242");
    cluster.awaitSvid(4242, id, Duration.ofSeconds(30));

    Command.Result otherUid = cluster.fetchX509(4343);
    assertThat(otherUid.output()).doesNotContain(id);
  }

  @Test
  void theSpireAgentRestartsWithoutANewJoinTokenAndServesAgain() {
    SpireCluster cluster = spire.cluster();
    String id = "spiffe://lanyard.test/ns/testkit/sa/restart";
    cluster.register(id, "unix:uid:4244");
    cluster.awaitSvid(4244, id, Duration.ofSeconds(30));

    cluster.restartAgent();

    cluster.awaitSvid(4244, id, Duration.ofSeconds(30));
  }

  @Test
  void aForcedCaRotationAddsASecondAuthorityToTheBundle() {
    SpireCluster cluster = spire.cluster();
    int before = countCertificates(cluster.bundlePem());

    String newAuthority = cluster.rotateCa();

    assertThat(newAuthority).isNotBlank();
    assertThat(countCertificates(cluster.bundlePem())).isEqualTo(before + 1);
    assertThat(cluster.oldCaId()).isNotEqualTo(newAuthority);
  }

  private static X509Source newSource(SpireCluster cluster) throws Exception {
    return DefaultX509Source.newSource(DefaultX509Source.X509SourceOptions.builder()
        .spiffeSocketPath(cluster.workloadApiAddress())
        .initTimeout(Duration.ofSeconds(30))
        .build());
  }

  private static BigInteger awaitNewSerial(X509Source source, BigInteger old, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    Set<BigInteger> seen = new HashSet<>();
    while (System.nanoTime() < deadline) {
      BigInteger serial = source.getX509Svid().getLeaf().getSerialNumber();
      seen.add(serial);
      if (!serial.equals(old)) {
        return serial;
      }
      ManagedProcess.sleep(250);
    }
    throw new AssertionError("no rotation within " + within + "; serials seen: " + seen);
  }

  private static int countCertificates(String pem) {
    return pem.split("-----BEGIN CERTIFICATE-----", -1).length - 1;
  }
}
