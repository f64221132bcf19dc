package dev.lanyard.reasons;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReasonTest {
  @Test
  void everyCodeIsUniqueSnakeCaseAndHasASentence() {
    assertThat(Arrays.stream(Reason.values()).map(Reason::code))
        .doesNotHaveDuplicates()
        .allSatisfy(code -> assertThat(code).matches("[a-z][a-z0-9]*(_[a-z0-9]+)*"));
    assertThat(Reason.values())
        .allSatisfy(reason -> assertThat(reason.sentence()).isNotBlank().doesNotEndWith("."));
  }

  @Test
  void aProxyAnswerIsLabelledWithItsStatusAndEveryOtherReasonWithItsCode() {
    assertThat(Reason.PROXY_ANSWER.label(502)).isEqualTo("proxy_502");
    assertThat(Reason.OUTSIDE_CEILING.label(502)).isEqualTo("outside_ceiling");
    assertThat(Reason.INJECTED).hasToString("injected");
  }
}
