package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.config.UpgradeModes.Mode;
import org.junit.jupiter.api.Test;

class UpgradeModesTest {
  @Test
  void aBareModeAppliesToEveryPort() {
    UpgradeModes upgrade = UpgradeModes.parse("permissive");

    assertThat(upgrade.modeFor(8080)).isEqualTo(Mode.PERMISSIVE);
    assertThat(upgrade.modeFor(1)).isEqualTo(Mode.PERMISSIVE);
    assertThat(upgrade.enabled()).isTrue();
    assertThat(upgrade).hasToString("*=permissive");
  }

  @Test
  void aPortEntryWinsOverTheDefaultAndUnlistedPortsAreOff() {
    UpgradeModes upgrade = UpgradeModes.parse(" 8080=strict , 8443=off, 9090=PERMISSIVE ");

    assertThat(upgrade.modeFor(8080)).isEqualTo(Mode.STRICT);
    assertThat(upgrade.modeFor(9090)).isEqualTo(Mode.PERMISSIVE);
    assertThat(upgrade.modeFor(8443)).isEqualTo(Mode.OFF);
    assertThat(upgrade.modeFor(7070)).isEqualTo(Mode.OFF);
    assertThat(upgrade).hasToString("8080=strict,8443=off,9090=permissive,*=off");

    UpgradeModes narrowed = UpgradeModes.parse("8443=off,*=strict");
    assertThat(narrowed.modeFor(8443)).isEqualTo(Mode.OFF);
    assertThat(narrowed.modeFor(8080)).isEqualTo(Mode.STRICT);
  }

  @Test
  void itTellsABareModeFromAStarEntryWhichTheWorkloadReadsAlike() {
    UpgradeModes bare = UpgradeModes.parse("8080=off, Strict");
    UpgradeModes star = UpgradeModes.parse("8080=off,*=strict");

    assertThat(bare.otherPortsBare()).isTrue();
    assertThat(star.otherPortsBare()).isFalse();
    assertThat(UpgradeModes.parse("8080=strict").otherPortsBare()).isFalse();
    assertThat(bare.otherPorts()).isEqualTo(Mode.STRICT).isEqualTo(star.otherPorts());
    assertThat(bare.portModes()).containsExactly(java.util.Map.entry(8080, Mode.OFF))
        .isEqualTo(star.portModes());
    assertThat(bare).hasToString(star.toString());
  }

  @Test
  void offEverywhereTouchesNoSocket() {
    assertThat(UpgradeModes.OFF.enabled()).isFalse();
    assertThat(UpgradeModes.parse("off").enabled()).isFalse();
    assertThat(UpgradeModes.parse("8080=off,*=off").enabled()).isFalse();
    assertThat(UpgradeModes.parse(" ").enabled()).isFalse();
    assertThat(UpgradeModes.parse("off")).hasToString("off");
  }

  @Test
  void errorsNameTheEntryTheRuleAndAnExample() {
    assertThatThrownBy(() -> UpgradeModes.parse("8080=mtls"))
        .hasMessage("entry \"8080=mtls\": mode \"mtls\" is not one of off, permissive, strict;"
            + " write e.g. 8080=strict,*=permissive");
    assertThatThrownBy(() -> UpgradeModes.parse("http=strict"))
        .hasMessage("entry \"http=strict\": \"http\" is not a port (1-65535) or *; write e.g."
            + " 8080=strict,*=permissive");
    assertThatThrownBy(() -> UpgradeModes.parse("70000=strict"))
        .hasMessageContaining("\"70000\" is not a port (1-65535)");
    assertThatThrownBy(() -> UpgradeModes.parse("0=strict"))
        .hasMessageContaining("\"0\" is not a port (1-65535)");
    assertThatThrownBy(() -> UpgradeModes.parse("8080=strict,8080=permissive"))
        .hasMessage("entry \"8080=permissive\": port 8080 is listed twice; keep one mode per port");
    assertThatThrownBy(() -> UpgradeModes.parse("strict,*=permissive"))
        .hasMessageContaining("the mode for every other port (a bare mode or *=mode) is given"
            + " twice");
  }
}
