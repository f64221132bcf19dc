package dev.lanyard.tls;

import dev.lanyard.config.JwtAudiences;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class JwtSenderTest {
  private static final String ID = "spiffe://lanyard.test/ns/agents/sa/caller";
  private final List<PeerDecision> audited = new CopyOnWriteArrayList<>();
  private final FakeJwtSource source = new FakeJwtSource();
  private final JwtSender sender = new JwtSender(
      JwtAudiences.parse("llm.example.com=llm,*.db.internal=db"), source, audited::add,
      Duration.ofSeconds(1));

  @Test
  void aMatchingHttpsRequestGetsTheTokenForItsAudienceAndOneAllowedRecord() {
    assertThat(sender.authorizationFor("llm.example.com", 443, true, false, "okhttp"))
        .contains("Bearer secret-llm");

    assertThat(audited).singleElement().satisfies(d -> {
      assertThat(d.action()).isEqualTo("jwt.send");
      assertThat(d.outcome()).isEqualTo(PeerDecision.Outcome.ALLOWED);
      assertThat(d.audience()).contains("llm");
      assertThat(d.peerAddress()).contains("llm.example.com:443");
      assertThat(d.localSpiffeId()).contains(ID);
      assertThat(d.reason()).contains("okhttp").doesNotContain("secret");
    });
  }

  @Test
  void aNonMatchingHostGetsNothingAndNoRecord() {
    assertThat(sender.authorizationFor("example.org", 443, true, false, "okhttp")).isEmpty();
    assertThat(audited).isEmpty();
    assertThat(source.requests).isEmpty();
  }

  @Test
  void plainHttpNeverCarriesATokenAndTheRefusalIsAudited() {
    assertThat(sender.authorizationFor("a.db.internal", 80, false, false, "jdk")).isEmpty();

    assertThat(source.requests).isEmpty();
    assertThat(audited).singleElement().satisfies(d -> {
      assertThat(d.outcome()).isEqualTo(PeerDecision.Outcome.DENIED);
      assertThat(d.reason()).contains("plain HTTP");
    });
  }

  @Test
  void theApplicationsOwnAuthorizationHeaderIsKept() {
    assertThat(sender.authorizationFor("llm.example.com", 443, true, true, "jdk")).isEmpty();
    assertThat(source.requests).isEmpty();
  }

  @Test
  void anUnavailableTokenIsNotSentAndTheRefusalNamesTheAudience() {
    source.fail = true;
    assertThat(sender.authorizationFor("llm.example.com", 443, true, false, "jdk")).isEmpty();

    assertThat(audited).singleElement().satisfies(d -> {
      assertThat(d.outcome()).isEqualTo(PeerDecision.Outcome.DENIED);
      assertThat(d.reason()).contains("audience \"llm\"").contains("no identity issued");
    });
  }

  @Test
  void unsetMeansDisabled() {
    JwtSender off = new JwtSender(JwtAudiences.NONE, null, audited::add, Duration.ofSeconds(1));
    assertThat(off.enabled()).isFalse();
    assertThat(off.authorizationFor("llm.example.com", 443, true, false, "jdk")).isEmpty();
  }

  /** Hands out "secret-<audience>" tokens, or fails. */
  static final class FakeJwtSource implements JwtSvidSource {
    final List<String> requests = new CopyOnWriteArrayList<>();
    volatile boolean fail;

    @Override
    public JwtSvidToken token(String audience, Duration maxWait)
        throws JwtSvidUnavailableException {
      requests.add(audience);
      if (fail) {
        throw new JwtSvidUnavailableException("lanyard: no JWT-SVID for audience \"" + audience
            + "\" (last error: PERMISSION_DENIED: no identity issued)");
      }
      Instant now = Instant.now();
      return new JwtSvidToken(audience, "secret-" + audience, ID, now, now.plusSeconds(300));
    }

    @Override
    public JwtBundles bundles(boolean refresh, Duration maxWait) {
      return JwtBundles.EMPTY;
    }

    @Override
    public String address() {
      return "unix:///fake";
    }

    @Override
    public void close() {}
  }
}
