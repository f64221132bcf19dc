package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InboundPortsTest {

  @Test
  void readsHttpAndRawEntries() {
    assertThat(InboundPorts.parse("8443:8080, 15432:5432/tcp,9443:9080/HTTP"))
        .extracting(Object::toString)
        .containsExactly("8443:8080", "15432:5432/tcp", "9443:9080");
    assertThat(InboundPorts.parse("15432:5432/TCP").get(0).raw()).isTrue();
  }

  @Test
  void refusesEachMistakeNamingTheEntryAndTheRule() {
    assertThatThrownBy(() -> InboundPorts.parse("8443:8080,9090"))
        .hasMessage("entry \"9090\" is not meshPort:appPort with ports in 1-65535, optionally"
            + " followed by /tcp (raw TCP, no identity headers) or /http (the default); write e.g."
            + " 8443:8080,15432:5432/tcp");
    assertThatThrownBy(() -> InboundPorts.parse("8443:70000"))
        .hasMessageContaining("entry \"8443:70000\" is not meshPort:appPort");
    assertThatThrownBy(() -> InboundPorts.parse("8443:8080/udp"))
        .hasMessageContaining("entry \"8443:8080/udp\" is not meshPort:appPort");
    assertThatThrownBy(() -> InboundPorts.parse("8080:8080"))
        .hasMessageContaining("entry \"8080:8080\" uses port 8080 for mesh and app");
    assertThatThrownBy(() -> InboundPorts.parse("8443:8080,8443:9090"))
        .hasMessage("mesh port 8443 is listed twice");
  }

  @Test
  void wellFormedSkipsWhatParseRefuses() {
    assertThat(InboundPorts.wellFormed("8443:8080,9090,x:1,15432:5432/tcp"))
        .extracting(Object::toString)
        .containsExactly("8443:8080", "15432:5432/tcp");
  }
}
