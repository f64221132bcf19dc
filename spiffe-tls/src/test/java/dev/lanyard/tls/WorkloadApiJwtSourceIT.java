package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import io.spiffe.spiffeid.SpiffeId;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link WorkloadApiJwtSource} and {@link JwtValidator} against a real SPIRE server and Agent. */
class WorkloadApiJwtSourceIT {
  private static final Duration JWT_TTL = Duration.ofSeconds(12);
  private static final String ID = "spiffe://lanyard.test/ns/it/sa/jwt";

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().jwtTtl(JWT_TTL).build();

  @BeforeAll
  static void registerThisJvm() {
    SpireCluster cluster = spire.cluster();
    cluster.register(ID, "unix:uid:" + Command.currentUid());
    cluster.awaitSvid(Command.currentUid(), ID, Duration.ofSeconds(30));
  }

  @Test
  void aTokenIsAcceptedByTheSpireAgentAndByOurValidatorForItsAudienceOnly() throws Exception {
    try (WorkloadApiJwtSource source = WorkloadApiJwtSource.start(address())) {
      JwtSvidToken token = source.token("llm-gateway", Duration.ofSeconds(30));

      assertThat(token.spiffeId()).isEqualTo(ID);
      assertThat(token.audience()).isEqualTo("llm-gateway");
      Command.Result spireSays = spire.cluster().validateJwt("llm-gateway", token.token());
      assertThat(spireSays.ok()).as(spireSays.output()).isTrue();
      assertThat(spireSays.output()).contains(ID);
      assertThat(spire.cluster().validateJwt("someone-else", token.token()).ok()).isFalse();

      JwtBundles bundles = source.bundles(false, Duration.ofSeconds(30));
      assertThat(bundles.asMap()).containsOnlyKeys("lanyard.test");
      JwtValidator validator = new JwtValidator(PeerPolicy.SAME_TRUST_DOMAIN, Clock.systemUTC(),
          JwtValidator.DEFAULT_CLOCK_SKEW);
      SpiffeId local = SpiffeId.parse("spiffe://lanyard.test/ns/it/sa/server");
      PeerDecision accepted = validator.validate(token.token(), "llm-gateway", bundles, local, null);
      PeerDecision wrongAudience = validator.validate(token.token(), "db", bundles, local, null);

      assertThat(accepted.allowed()).as(accepted.reason()).isTrue();
      assertThat(JwtVerifier.subject(accepted)).contains(ID);
      assertThat(wrongAudience.allowed()).isFalse();
      assertThat(wrongAudience.rule()).isEqualTo("wrong_audience");
    }
  }

  @Test
  void tokensAreCachedAndRefreshedAcrossSeveralLifetimesWithEveryOneValid() throws Exception {
    try (WorkloadApiJwtSource source = WorkloadApiJwtSource.start(address())) {
      Set<String> seen = new LinkedHashSet<>();
      long end = System.nanoTime() + JWT_TTL.multipliedBy(2).toNanos();
      int requests = 0;
      while (System.nanoTime() < end) {
        JwtSvidToken token = source.token("rotating", Duration.ofSeconds(30));
        assertThat(token.expiry()).isAfter(java.time.Instant.now());
        if (seen.add(token.token())) {
          Command.Result spireSays = spire.cluster().validateJwt("rotating", token.token());
          assertThat(spireSays.ok()).as(spireSays.output()).isTrue();
        }
        requests++;
        Thread.sleep(250);
      }
      assertThat(seen).as("distinct tokens over two lifetimes").hasSizeGreaterThanOrEqualTo(3);
      assertThat(requests).isGreaterThan(seen.size() * 3);
    }
  }

  @Test
  void withoutASpireAgentTheWaitIsBoundedAndTheMessageSaysWhatToCheck() {
    try (WorkloadApiJwtSource source =
        WorkloadApiJwtSource.start("unix:///nonexistent/lanyard-it/agent.sock")) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> source.token("api", Duration.ofSeconds(2)))
          .isInstanceOf(JwtSvidUnavailableException.class)
          .hasMessageContaining("no JWT-SVID for audience \"api\"")
          .hasMessageContaining("unix:///nonexistent/lanyard-it/agent.sock")
          .hasMessageContaining("registration entry");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
      assertThat(source.bundles(false, Duration.ofSeconds(2))).isEqualTo(JwtBundles.EMPTY);
    }
  }

  private static String address() {
    return spire.cluster().workloadApiAddress();
  }
}
