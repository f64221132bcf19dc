package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MountsTest {
  @Test
  void mountinfoOctalEscapesBecomeTheCharactersTheyStandFor() {
    assertThat(Mounts.unescape("/tmp/a\\040b\\011c\\134d")).isEqualTo("/tmp/a b\tc\\d");
  }

  @Test
  void aPathWithoutEscapesIsUnchanged() {
    assertThat(Mounts.unescape("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs"))
        .isEqualTo("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs");
  }

  @Test
  void anEscapeAtTheVeryEndIsDecoded() {
    assertThat(Mounts.unescape("/x\\040")).isEqualTo("/x ");
  }
}
