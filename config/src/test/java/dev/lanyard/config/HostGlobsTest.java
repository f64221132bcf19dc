package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostGlobsTest {
  private final HostGlobs defaults = HostGlobs.parse(HostGlobs.DEFAULT_MESH_HOSTS);

  @Test
  void defaultCoversKubernetesServiceNamesAtAnyDepth() {
    assertThat(defaults.match("payments.svc")).contains("*.svc");
    assertThat(defaults.match("payments.prod.svc")).contains("*.svc");
    assertThat(defaults.match("payments.prod.svc.cluster.local")).contains("*.svc.cluster.local");
    assertThat(defaults.match("pod-1.payments.prod.svc.cluster.local")).isPresent();
    assertThat(defaults.match("node-3.cluster.local")).contains("*.cluster.local");
  }

  @Test
  void ignoresCaseAndATrailingDot() {
    assertThat(defaults.match("Payments.Prod.SVC.cluster.local.")).isPresent();
  }

  @Test
  void leavesPublicHostsAlone() {
    assertThat(defaults.match("api.openai.com")).isEmpty();
    assertThat(defaults.match("svc.example.com")).isEmpty();
    assertThat(defaults.match("cluster.local")).isEmpty();
    assertThat(defaults.match(null)).isEmpty();
  }

  @Test
  void exactNamesAndNoneWork() {
    HostGlobs globs = HostGlobs.parse("payments.internal, *.mesh");

    assertThat(globs.match("payments.internal")).contains("payments.internal");
    assertThat(globs.match("x.payments.internal")).isEmpty();
    assertThat(HostGlobs.parse("none").match("a.svc")).isEmpty();
  }

  /** Found by LanyardConfigFuzzTest: "none,," was a host named "none", shown back as "none". */
  @Test
  void noneStandsAloneAndIsNeverAHostName() {
    assertThat(HostGlobs.parse(" None ,,").globs()).isEmpty();
    assertThat(HostGlobs.parse("none,,").toString()).isEmpty();
    assertThatThrownBy(() -> HostGlobs.parse("*.svc,none"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"none\" in LANYARD_MESH_HOSTS \"*.svc,none\"")
        .hasMessageContaining("write none alone");
  }

  @Test
  void rejectsWhatIsNotAHostGlob() {
    assertThatThrownBy(() -> HostGlobs.parse("*.svc, bad host"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("mesh host pattern \"bad host\" in LANYARD_MESH_HOSTS is not a host name glob:"
            + " use letters, digits, dots, dashes and * (any characters), e.g."
            + " *.svc.cluster.local,payments.internal");
  }
}
