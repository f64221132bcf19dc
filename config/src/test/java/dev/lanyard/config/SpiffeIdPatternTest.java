package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpiffeIdPatternTest {

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
      "spiffe://td/ns/x/sa/y, spiffe://td/ns/x/sa/y, true",
      "spiffe://td/ns/x/sa/y, spiffe://td/ns/x/sa/z, false",
      "spiffe://td/ns/x/sa/y, spiffe://other/ns/x/sa/y, false",
      "spiffe://td/ns/x/sa/y, spiffe://td/ns/x/sa/y/more, false",
      "spiffe://td/ns/x/*, spiffe://td/ns/x/a, true",
      "spiffe://td/ns/x/*, spiffe://td/ns/x/a/b, false",
      "spiffe://td/ns/x/*, spiffe://td/ns/x, false",
      "spiffe://td/ns/x/*, spiffe://td/ns/xy/a, false",
      "spiffe://td/ns/x/*, spiffe://other/ns/x/a, false",
      "spiffe://td/ns/x/**, spiffe://td/ns/x/a, true",
      "spiffe://td/ns/x/**, spiffe://td/ns/x/a/b/c, true",
      "spiffe://td/ns/x/**, spiffe://td/ns/x, false",
      "spiffe://td/ns/x/**, spiffe://td/ns/xy/a, false",
      "spiffe://td/**, spiffe://td/anything/at/all, true",
      "spiffe://td/**, spiffe://td/a, true",
      "spiffe://td/**, spiffe://td2/a, false",
      "spiffe://td/*, spiffe://td/a, true",
      "spiffe://td/*, spiffe://td/a/b, false",
  })
  void matchesByShape(String pattern, String id, boolean expected) {
    assertThat(SpiffeIdPattern.parse(pattern).matches(id)).isEqualTo(expected);
  }

  @Test
  void keepsTheTextAsWrittenWithoutSurroundingBlanks() {
    assertThat(SpiffeIdPattern.parse("  spiffe://td/ns/x/*  ").toString())
        .isEqualTo("spiffe://td/ns/x/*");
  }

  @Test
  void rejectsAPatternWithoutSpiffeSchemeNamingValueRuleAndFix() {
    assertThatThrownBy(() -> SpiffeIdPattern.parse("https://td/ns/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"https://td/ns/x\"")
        .hasMessageContaining("LANYARD_ALLOWED_PEERS")
        .hasMessageContaining("it must start with spiffe://")
        .hasMessageContaining("e.g. spiffe://example.org/ns/prod/sa/api");
  }

  @Test
  void rejectsAWildcardInsideASegment() {
    assertThatThrownBy(() -> SpiffeIdPattern.parse("spiffe://td/ns/*/sa/api"))
        .hasMessageContaining("\"spiffe://td/ns/*/sa/api\"")
        .hasMessageContaining("a wildcard may only be the whole last segment");
    assertThatThrownBy(() -> SpiffeIdPattern.parse("spiffe://td/ns/prod-*"))
        .hasMessageContaining("a wildcard may only be the whole last segment");
  }

  @Test
  void neverTreatsATrustDomainAsAWildcard() {
    assertThatThrownBy(() -> SpiffeIdPattern.parse("spiffe://*/ns/x"))
        .hasMessageContaining("a wildcard may only be the whole last segment");
    assertThatThrownBy(() -> SpiffeIdPattern.parse("spiffe://**"))
        .hasMessageContaining("\"spiffe://**\"");
  }

  @Test
  void rejectsInvalidSpiffeIdSyntaxWithTheReason() {
    assertThatThrownBy(() -> SpiffeIdPattern.parse("spiffe://td$x/ns/x"))
        .hasMessageContaining("\"spiffe://td$x/ns/x\"")
        .hasMessageContaining("is not a valid SPIFFE ID")
        .hasMessageContaining("lowercase");
    assertThatThrownBy(() -> SpiffeIdPattern.parse("spiffe://td/ns//x/*"))
        .hasMessageContaining("empty segments");
  }
}
