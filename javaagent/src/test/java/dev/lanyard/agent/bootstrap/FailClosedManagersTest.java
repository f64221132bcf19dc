package dev.lanyard.agent.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.TestPki;
import dev.lanyard.tls.SpiffeIdClaim;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/**
 * The fail-closed managers name the refused peer by the SPIFFE ID it claims, read as spiffe-tls's
 * {@link SpiffeIdClaim} reads it (the bootstrap cannot load spiffe-tls, so the rule is written
 * there again; this test keeps the two in step).
 */
class FailClosedManagersTest {
  private final TestPki ca = TestPki.create("fail-closed test CA");

  @Test
  void aRefusalNamesThePeerByTheSpiffeIdItClaimsWhateverTheSchemesCase() {
    for (String uri : new String[] {"spiffe://td/ns/a/sa/b", "SPIFFE://td/ns/a/sa/b",
        "Spiffe://td/x"}) {
      X509Certificate leaf = ca.leaf().uri("https://example.org/other").uri(uri).issue()
          .certificate();

      assertThat(FailClosedManagers.peer(new X509Certificate[] {leaf}))
          .isEqualTo(SpiffeIdClaim.of(leaf).orElseThrow())
          .isEqualTo(uri);
    }
  }

  @Test
  void aPeerWithoutSpiffeIdIsNamedByItsSubject() {
    X509Certificate leaf = ca.leaf().subject("CN=web.example.org").uri("https://example.org/")
        .issue().certificate();

    assertThat(SpiffeIdClaim.of(leaf)).isEmpty();
    assertThat(FailClosedManagers.peer(new X509Certificate[] {leaf}))
        .isEqualTo("\"CN=web.example.org\"");
    assertThat(FailClosedManagers.peer(new X509Certificate[0])).isEqualTo("(no certificate)");
  }
}
