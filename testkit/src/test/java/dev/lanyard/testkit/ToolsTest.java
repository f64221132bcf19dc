package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ToolsTest {
  @Test
  void aMissingToolFailsWithTheInstallCommand() {
    assertThatThrownBy(() -> Tools.require("no-such-tool-" + System.nanoTime()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("scripts/install-tools.sh")
        .hasMessageContaining("LANYARD_TOOLS");
  }
}
