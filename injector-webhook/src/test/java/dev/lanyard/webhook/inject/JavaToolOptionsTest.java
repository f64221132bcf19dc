package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JavaToolOptionsTest {
  private static final String FLAG = "-javaagent:/lanyard/javaagent.jar";

  @Test
  void unsetOrBlankBecomesTheFlag() {
    assertThat(JavaToolOptions.withJavaagent(null)).isEqualTo(FLAG);
    assertThat(JavaToolOptions.withJavaagent("  ")).isEqualTo(FLAG);
  }

  @Test
  void aLiteralValueKeepsItsOptionsAndGetsTheFlagAppended() {
    assertThat(JavaToolOptions.withJavaagent("-Xmx1g -Dx=\"a b\" "))
        .isEqualTo("-Xmx1g -Dx=\"a b\" " + FLAG);
  }

  @Test
  void neverTwice() {
    assertThat(JavaToolOptions.withJavaagent("-Xmx1g " + FLAG)).isEqualTo("-Xmx1g " + FLAG);
    assertThat(JavaToolOptions.withJavaagent(FLAG + "=debug -Xmx1g"))
        .isEqualTo(FLAG + "=debug -Xmx1g");
  }

  @Test
  void anotherAgentIsNotOurs() {
    assertThat(JavaToolOptions.withJavaagent("-javaagent:/otel/opentelemetry-javaagent.jar"))
        .isEqualTo("-javaagent:/otel/opentelemetry-javaagent.jar " + FLAG);
  }
}
