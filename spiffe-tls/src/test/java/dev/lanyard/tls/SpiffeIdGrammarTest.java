package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.config.SpiffeIdPattern;
import io.spiffe.spiffeid.SpiffeId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * lanyard-config parses SPIFFE IDs without java-spiffe (the webhook has none); this holds its
 * grammar to java-spiffe's, which the javaagent and the sidecar see peers through: an exact
 * pattern parses exactly when java-spiffe parses the same text as an ID.
 */
class SpiffeIdGrammarTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "spiffe://td/ns/x/sa/y",
        "spiffe://example.org/a.b-c_d/E9",
        "spiffe://td",
        "spiffe://t_d.example-1/x",
        "spiffe://td:8443/x",
        "spiffe://user@td/x",
        "spiffe://td/x/",
        "spiffe://td//x",
        "spiffe://td/./x",
        "spiffe://td/../x",
        "spiffe://td/x/..",
        "spiffe://td/a%20b",
        "spiffe://td/a b",
        "spiffe://td/a?b",
        "spiffe://td/a#b",
        "spiffe://td/ü",
        "spiffe://tü/x",
        "spiffe://td/...",
        "spiffe://td/x.",
        "spiffe:///x",
        "https://td/x",
      })
  void anExactPatternParsesExactlyWhenJavaSpiffeParsesTheId(String text) {
    assertThat(parsesAsPattern(text)).as(text).isEqualTo(parsesAsId(text));
  }

  /**
   * The one difference, on purpose: java-spiffe lower-cases an upper-case trust domain, Lanyard
   * refuses it (an SVID must carry its ID in canonical form, see SvidValidator, so such a pattern
   * would only ever match by accident).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"spiffe://TD/x", "spiffe://Example.org/ns/x/*"})
  void anUpperCaseTrustDomainIsRefusedThoughJavaSpiffeWouldLowerCaseIt(String text) {
    assertThat(parsesAsId(text.replace("/*", ""))).isTrue();
    assertThat(parsesAsPattern(text)).isFalse();
  }

  private static boolean parsesAsId(String text) {
    try {
      SpiffeId.parse(text);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean parsesAsPattern(String text) {
    try {
      SpiffeIdPattern.parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
