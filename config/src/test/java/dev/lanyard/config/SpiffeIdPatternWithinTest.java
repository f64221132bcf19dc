package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Containment of SPIFFE ID patterns (the operator's ceiling). The shapes are exact, {@code /*} one
 * more segment, {@code /**} one or more; {@code SpiffeIdPatternTest} is the
 * matching table these rows must agree with: A is within B exactly when every ID A matches is one
 * B matches.
 */
class SpiffeIdPatternWithinTest {

  @ParameterizedTest(name = "{0} within {1}: {2}")
  @CsvSource({
    // exact within exact: only itself
    "spiffe://td/ns/x/sa/y, spiffe://td/ns/x/sa/y, true",
    "spiffe://td/ns/x/sa/y, spiffe://td/ns/x/sa/z, false",
    "spiffe://td/ns/x/*, spiffe://td/ns/x/sa, false",
    // within one segment: exactly one more segment below the base
    "spiffe://td/ns/x/a, spiffe://td/ns/x/*, true",
    "spiffe://td/ns/x/a/b, spiffe://td/ns/x/*, false",
    "spiffe://td/ns/x, spiffe://td/ns/x/*, false",
    "spiffe://td/ns/xy/a, spiffe://td/ns/x/*, false",
    "spiffe://td/ns/x/*, spiffe://td/ns/x/*, true",
    "spiffe://td/ns/x/a/*, spiffe://td/ns/x/*, false",
    "spiffe://td/ns/x/**, spiffe://td/ns/x/*, false",
    "spiffe://td/a, spiffe://td/*, true",
    "spiffe://td/*, spiffe://td/*, true",
    "spiffe://td/a/*, spiffe://td/*, false",
    // within any depth: anything below the base, never the base itself
    "spiffe://td/ns/x/sa/y, spiffe://td/ns/x/**, true",
    "spiffe://td/ns/x, spiffe://td/ns/x/**, false",
    "spiffe://td/ns/xy/a, spiffe://td/ns/x/**, false",
    "spiffe://td/ns/x/*, spiffe://td/ns/x/**, true",
    "spiffe://td/ns/x/a/*, spiffe://td/ns/x/**, true",
    "spiffe://td/ns/x/**, spiffe://td/ns/x/**, true",
    "spiffe://td/ns/x/a/**, spiffe://td/ns/x/**, true",
    "spiffe://td/ns/**, spiffe://td/ns/x/**, false",
    "spiffe://td/ns/*, spiffe://td/ns/x/**, false",
    "spiffe://td/**, spiffe://td/ns/x/**, false",
    // the whole trust domain holds everything of that trust domain, nothing of another
    "spiffe://td/ns/x/sa/y, spiffe://td/**, true",
    "spiffe://td/*, spiffe://td/**, true",
    "spiffe://td/**, spiffe://td/**, true",
    "spiffe://td, spiffe://td/**, true",
    "spiffe://other/ns/x/sa/y, spiffe://td/**, false",
    "spiffe://td.evil/ns/x, spiffe://td/**, false",
    "spiffe://other/**, spiffe://td/**, false",
  })
  void isWithinExactlyWhenEveryMatchedIdIsMatchedByTheOuterPattern(
      String inner, String outer, boolean expected) {
    assertThat(SpiffeIdPattern.parse(inner).isWithin(SpiffeIdPattern.parse(outer))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "https://td/ns/x | it must start with spiffe://",
        "spiffe://**/ns | a wildcard may only be the whole last segment",
        "spiffe:///** | it has no trust domain",
        "spiffe://td/ns/*/sa/y | a wildcard may only be the whole last segment",
        "spiffe://td/ns/prod-* | a wildcard may only be the whole last segment",
        "spiffe://TD/ns/x | trust domain \"TD\" may hold only lowercase letters",
        "spiffe://td/ns//x | the path has empty segments",
        "spiffe://td/ns/../x | path segment \"..\"",
        "spiffe://td/ns/x/ | the path has empty segments or a trailing slash",
        "spiffe://td/ns/a b | path segment \"a b\"",
      })
  void refusesWhatSpiffeIdPatternRefusesNamingTheValueAndTheRule(String text, String rule) {
    assertThatThrownBy(() -> SpiffeIdPattern.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + text.trim() + "\" in LANYARD_ALLOWED_PEERS is not a SPIFFE ID pattern")
        .hasMessageContaining(rule)
        .hasMessageContaining("e.g. spiffe://example.org/ns/prod/sa/api");
  }
}
