package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StartupPolicyTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "wait=30s,then=fail     | PT30S   | FAIL",
      "wait=500ms,then=degrade| PT0.5S  | DEGRADE",
      "then=degrade,wait=2m   | PT2M    | DEGRADE",
      "wait=1h                | PT1H    | FAIL",
      "then=degrade           | PT30S   | DEGRADE",
      "' WAIT = 0s , THEN = Fail '| PT0S | FAIL",
  })
  void parsesWaitAndThenInAnyOrderWithDefaults(String text, Duration wait,
      StartupPolicy.AfterWait then) {
    StartupPolicy policy = StartupPolicy.parse(text);

    assertThat(policy.waitFor()).isEqualTo(wait);
    assertThat(policy.afterWait()).isEqualTo(then);
  }

  @Test
  void defaultIsThirtySecondsThenFail() {
    assertThat(StartupPolicy.parse("")).isEqualTo(StartupPolicy.DEFAULT);
    assertThat(StartupPolicy.DEFAULT.toString()).isEqualTo("wait=30s,then=fail");
  }

  @Test
  void printsItselfInItsOwnSyntax() {
    assertThat(StartupPolicy.parse("then=degrade,wait=500ms").toString())
        .isEqualTo("wait=500ms,then=degrade");
    assertThat(StartupPolicy.parse("wait=120s").toString()).isEqualTo("wait=2m,then=fail");
  }

  @Test
  void rejectsABadDurationNamingItAndTheSyntax() {
    assertThatThrownBy(() -> StartupPolicy.parse("wait=30,then=fail"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("startup policy \"wait=30,then=fail\": wait \"30\" is not a duration: write a"
            + " whole number followed by ms, s, m or h, e.g. 500ms, 30s, 2m");
  }

  @Test
  void rejectsAnUnknownThen() {
    assertThatThrownBy(() -> StartupPolicy.parse("wait=5s,then=retry"))
        .hasMessage("startup policy \"wait=5s,then=retry\": then=\"retry\" is neither fail nor"
            + " degrade; write wait=<duration>,then=fail|degrade, e.g. wait=30s,then=fail");
  }

  @Test
  void rejectsUnknownKeysDuplicatesAndBareWords() {
    assertThatThrownBy(() -> StartupPolicy.parse("timeout=5s"))
        .hasMessageContaining("unknown key \"timeout\" (only wait and then are known)");
    assertThatThrownBy(() -> StartupPolicy.parse("wait=1s,wait=2s"))
        .hasMessageContaining("sets wait twice");
    assertThatThrownBy(() -> StartupPolicy.parse("degrade"))
        .hasMessageContaining("\"degrade\" is not key=value");
  }

  @Test
  void rejectsNegativeDurations() {
    assertThatThrownBy(() -> StartupPolicy.parse("wait=-1s"))
        .hasMessageContaining("\"-1s\" is not a duration");
  }
}
