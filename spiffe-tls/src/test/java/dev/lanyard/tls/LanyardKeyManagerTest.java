package dev.lanyard.tls;

import dev.lanyard.config.StartupPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LanyardKeyManagerTest {
  private static final String ID = "spiffe://lanyard.test/ns/shop/sa/web";
  private final TestCa ca = TestCa.root("lanyard.test");

  private static LanyardKeyManager keyManager(FakeSvidSource source, String startup) {
    return new LanyardKeyManager(new FirstSvidWait(source, StartupPolicy.parse(startup)));
  }

  @Test
  void theAliasIsTheSerialAndNamesExactlyThatSnapshot() {
    Identity identity = ca.svid(ID);
    LanyardKeyManager keyManager = keyManager(new FakeSvidSource(identity, ca.bundles()), "wait=0s");

    String alias = keyManager.chooseEngineServerAlias("EC", null, null);

    assertThat(alias).isEqualTo(identity.serial().toString(16));
    assertThat(keyManager.getCertificateChain(alias)).containsExactlyElementsOf(identity.chain());
    assertThat(keyManager.getPrivateKey(alias)).isSameAs(identity.privateKey());
  }

  @Test
  void aRotationBetweenChoosingAndFetchingNeverMixesTwoSvids() {
    Identity first = ca.svid(ID);
    Identity second = ca.svid(ID);
    FakeSvidSource source = new FakeSvidSource(first, ca.bundles());
    LanyardKeyManager keyManager = keyManager(source, "wait=0s");

    String firstAlias = keyManager.chooseClientAlias(new String[] {"EC"}, null, null);
    source.update(second, ca.bundles()); // rotation in the middle of the handshake
    String secondAlias = keyManager.chooseClientAlias(new String[] {"EC"}, null, null);

    assertThat(keyManager.getCertificateChain(firstAlias)[0]).isEqualTo(first.leaf());
    assertThat(keyManager.getPrivateKey(firstAlias)).isSameAs(first.privateKey());
    assertThat(keyManager.getCertificateChain(secondAlias)[0]).isEqualTo(second.leaf());
    assertThat(keyManager.getPrivateKey(secondAlias)).isSameAs(second.privateKey());
    assertThat(secondAlias).isNotEqualTo(firstAlias);
  }

  @Test
  void offersTheSvidOnlyForItsOwnKeyType() {
    LanyardKeyManager keyManager =
        keyManager(new FakeSvidSource(ca.svid(ID), ca.bundles()), "wait=0s");

    assertThat(keyManager.chooseServerAlias("RSA", null, null)).isNull();
    assertThat(keyManager.chooseClientAlias(new String[] {"RSA", "EC"}, null, null)).isNotNull();
    assertThat(keyManager.chooseClientAlias(new String[] {"EC_EC"}, null, null)).isNotNull();
    assertThat(keyManager.getServerAliases("EC", null)).hasSize(1);
    assertThat(keyManager.getServerAliases("RSA", null)).isNull();
  }

  @Test
  void servesRsaSvidsForRsaKeyTypes() {
    Identity rsa = ca.leaf(ID).keyAlgorithm("RSA").identity();
    LanyardKeyManager keyManager = keyManager(new FakeSvidSource(rsa, ca.bundles()), "wait=0s");

    assertThat(keyManager.chooseServerAlias("RSASSA-PSS", null, null)).isEqualTo(rsa.serialHex());
    assertThat(keyManager.chooseServerAlias("EC", null, null)).isNull();
  }

  @Test
  void anSvidOutsideItsValidityIsNeverPresented() {
    // Whole seconds: X.509 validity has no milliseconds.
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Identity expired = ca.leaf(ID).validity(now.minusSeconds(60), now.minusSeconds(1)).identity();
    FakeSvidSource source = new FakeSvidSource(expired, ca.bundles());
    source.lastError("UNAVAILABLE: io exception");
    // A fixed clock: "in its last second" must not turn into "expired" on a slow machine.
    LanyardKeyManager keyManager = new LanyardKeyManager(new FirstSvidWait(source,
        StartupPolicy.parse("wait=0s"), java.time.Clock.fixed(now, java.time.ZoneOffset.UTC)));

    // Fail closed even towards a peer that would not check: no alias, the handshake fails.
    assertThatThrownBy(() -> keyManager.chooseEngineServerAlias("EC", null, null))
        .isInstanceOf(NoSvidException.class)
        .hasMessage("lanyard: X.509-SVID " + ID + " (serial " + expired.serialHex()
            + ") expired at " + expired.notAfter() + "; not presenting it. The SPIRE Workload"
            + " API at " + FakeSvidSource.ADDRESS + " has not renewed it (last error: UNAVAILABLE:"
            + " io exception)");
    assertThatThrownBy(() -> keyManager.chooseClientAlias(new String[] {"EC"}, null, null))
        .isInstanceOf(NoSvidException.class).hasMessageContaining("expired at");

    // Nor in its last second: a session made then could be resumed after notAfter.
    Identity ending = ca.leaf(ID).validity(now.minusSeconds(60), now.plusSeconds(1))
        .identity();
    source.update(ending, ca.bundles());
    assertThatThrownBy(() -> keyManager.chooseEngineServerAlias("EC", null, null))
        .isInstanceOf(NoSvidException.class).hasMessageContaining("in less than 1s");

    Identity early = ca.leaf(ID).validity(now.plusSeconds(60), now.plusSeconds(600)).identity();
    source.update(early, ca.bundles());
    assertThatThrownBy(() -> keyManager.chooseEngineClientAlias(new String[] {"EC"}, null, null))
        .isInstanceOf(NoSvidException.class).hasMessageContaining("is not valid before");

    // Renewed: presented again, no restart.
    Identity renewed = ca.svid(ID);
    source.update(renewed, ca.bundles());
    assertThat(keyManager.chooseEngineServerAlias("EC", null, null))
        .isEqualTo(renewed.serialHex());
  }

  @Test
  void unknownAliasesHaveNothing() {
    LanyardKeyManager keyManager =
        keyManager(new FakeSvidSource(ca.svid(ID), ca.bundles()), "wait=0s");

    assertThat(keyManager.getCertificateChain("abc")).isNull();
    assertThat(keyManager.getPrivateKey(null)).isNull();
  }

  @Test
  void withoutAnSvidTheFirstHandshakeWaitsOnlyAsLongAsTheStartupPolicySays() {
    FakeSvidSource empty = new FakeSvidSource();
    LanyardKeyManager keyManager = keyManager(empty, "wait=400ms,then=degrade");
    long start = System.nanoTime();

    assertThatThrownBy(() -> keyManager.chooseEngineServerAlias("EC", null, null))
        .isInstanceOf(NoSvidException.class)
        .hasMessageStartingWith("lanyard: no X.509-SVID from the SPIRE Workload API at "
            + FakeSvidSource.ADDRESS + " after 400ms");
    Duration waited = Duration.ofNanos(System.nanoTime() - start);
    assertThat(waited).isBetween(Duration.ofMillis(350), Duration.ofSeconds(3));

    // The wait is spent: later handshakes fail at once instead of waiting again.
    long again = System.nanoTime();
    assertThatThrownBy(() -> keyManager.chooseClientAlias(new String[] {"EC"}, null, null))
        .isInstanceOf(NoSvidException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - again)).isLessThan(Duration.ofMillis(200));
  }

  @Test
  void anSvidArrivingDuringTheWaitIsUsed() throws Exception {
    FakeSvidSource late = new FakeSvidSource();
    LanyardKeyManager keyManager = keyManager(late, "wait=10s");
    Identity identity = ca.svid(ID);
    Thread agent = new Thread(() -> {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      late.update(identity, ca.bundles());
    });
    agent.start();

    assertThat(keyManager.chooseEngineClientAlias(new String[] {"EC"}, null, null))
        .isEqualTo(identity.serialHex());
    agent.join();
  }

  @Test
  void degradedHandshakesRecoverWhenTheSvidArrives() {
    FakeSvidSource source = new FakeSvidSource();
    LanyardKeyManager keyManager = keyManager(source, "wait=0s,then=degrade");
    assertThatThrownBy(() -> keyManager.chooseServerAlias("EC", null, null))
        .isInstanceOf(NoSvidException.class);

    Identity identity = ca.svid(ID);
    source.update(identity, ca.bundles());

    assertThat(keyManager.chooseServerAlias("EC", null, null)).isEqualTo(identity.serialHex());
  }
}
