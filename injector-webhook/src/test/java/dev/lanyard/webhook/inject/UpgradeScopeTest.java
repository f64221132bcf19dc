package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A bare mode means the ports a container serves; everything written out stays as written. */
class UpgradeScopeTest {

  @Test
  void aBareModeBecomesEachDeclaredPort() {
    assertThat(UpgradeScope.inbound("strict", List.of(9090, 8080)))
        .isEqualTo("8080=strict,9090=strict");
    assertThat(UpgradeScope.inbound(" Permissive ", List.of(8080))).isEqualTo("8080=permissive");
  }

  @Test
  void aContainerThatDeclaresNoPortGetsEveryPortItBinds() {
    assertThat(UpgradeScope.inbound("strict", List.of())).isEqualTo("*=strict");
  }

  @Test
  void portEntriesAreKeptAndTheBareModeFillsTheOtherDeclaredPorts() {
    assertThat(UpgradeScope.inbound("8080=strict,9090=off", List.of(8080, 9090, 7070)))
        .as("no bare mode: only what is written")
        .isEqualTo("8080=strict,9090=off");
    assertThat(UpgradeScope.inbound("9090=off,strict", List.of(8080, 9090)))
        .isEqualTo("8080=strict,9090=off");
    assertThat(UpgradeScope.inbound("8080=off,permissive", List.of(8080)))
        .as("every declared port has its own entry")
        .isEqualTo("8080=off");
    assertThat(UpgradeScope.inbound("8080=off,strict", List.of()))
        .isEqualTo("8080=off,*=strict");
  }

  @Test
  void aStarEntryWrittenOutStaysEveryPortTheJvmBinds() {
    assertThat(UpgradeScope.inbound("*=strict", List.of(8080))).isEqualTo("*=strict");
    assertThat(UpgradeScope.inbound("8443=off,*=permissive", List.of(8080, 8443)))
        .isEqualTo("8443=off,*=permissive");
  }

  @Test
  void offStaysOff() {
    assertThat(UpgradeScope.inbound("off", List.of(8080))).isEqualTo("off");
    assertThat(UpgradeScope.inbound("", List.of(8080))).isEqualTo("off");
    assertThat(UpgradeScope.inbound("8080=off,off", List.of())).isEqualTo("8080=off");
  }
}
