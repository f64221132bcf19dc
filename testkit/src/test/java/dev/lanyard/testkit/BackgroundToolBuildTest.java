package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes stand in for install-tools.sh: a script of that name that makes (or not) a file. */
class BackgroundToolBuildTest {
  @TempDir Path tools;
  private Process builder;

  @AfterEach
  void stopBuilder() throws Exception {
    if (builder != null) {
      builder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void waitsForAToolTheRunningBuildMakesLater() throws Exception {
    Path tool = tools.resolve("bin").resolve("spire-server");
    startBuilder("bin/spire-server", "sleep 2; mkdir -p bin; printf x > bin/spire-server.new;"
        + " mv bin/spire-server.new bin/spire-server; sleep 30");

    Instant began = Instant.now();
    BackgroundToolBuild.awaitIfBuilding(tools, tool);

    assertThat(tool).exists();
    assertThat(Duration.between(began, Instant.now())).isGreaterThan(Duration.ofMillis(1500));
    assertThat(builder.isAlive()).as("returned as the file appeared, not when the build ended")
        .isTrue();
  }

  @Test
  void returnsWhenTheBuildEndsWithoutMakingIt() throws Exception {
    Path tool = tools.resolve("bin").resolve("kubelet");
    startBuilder("bin/kubelet", "sleep 1; exit 1");

    BackgroundToolBuild.awaitIfBuilding(tools, tool);

    assertThat(builder.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(tool).doesNotExist();
  }

  @Test
  void noBuildRunsWithoutAPidFile() {
    assertThat(BackgroundToolBuild.running(tools)).isEmpty();
  }

  @Test
  void aPidFileOfAnotherProgramIsNoBuild() throws Exception {
    Process other = new ProcessBuilder("sleep", "30").start();
    try {
      Files.writeString(tools.resolve("builder.pid"), other.pid() + "\n");
      assertThat(BackgroundToolBuild.running(tools)).isEmpty();
    } finally {
      other.destroyForcibly();
    }
  }

  @Test
  void toolsRequireWaitsForTheBackgroundBuild() throws Exception {
    startBuilder("bin/helm", "sleep 1; mkdir -p bin; printf '#!/bin/sh\\n' > bin/helm.new;"
        + " chmod +x bin/helm.new;"
        + " mv bin/helm.new bin/helm; sleep 30");
    String previous = System.getProperty("lanyard.tools");
    System.setProperty("lanyard.tools", tools.toString());
    try {
      assertThat(Tools.require("helm")).isEqualTo(tools.resolve("bin").resolve("helm"));
    } finally {
      if (previous == null) {
        System.clearProperty("lanyard.tools");
      } else {
        System.setProperty("lanyard.tools", previous);
      }
    }
  }

  @Test
  void aToolTheBuildDoesNotMakeIsNotWaitedFor() throws Exception {
    startBuilder("bin/spire-server", "sleep 30");
    Instant began = Instant.now();

    BackgroundToolBuild.awaitIfBuilding(tools, tools.resolve("bin").resolve("no-such-tool"));

    assertThat(Duration.between(began, Instant.now())).isLessThan(Duration.ofSeconds(5));
    assertThat(builder.isAlive()).isTrue();
  }

  /**
   * Runs {@code body} from a script named install-tools.sh in the tools root, as builder.pid,
   * declaring that it makes {@code makes} (builder.makes).
   */
  private void startBuilder(String makes, String body) throws Exception {
    Files.writeString(tools.resolve("builder.makes"), makes + "\n");
    Path script = tools.resolve("install-tools.sh");
    Files.writeString(script, "#!/bin/bash\ncd \"$(dirname \"$0\")\"\n" + body + "\n");
    builder = new ProcessBuilder("bash", script.toString()).start();
    Files.writeString(tools.resolve("builder.pid"), builder.pid() + "\n");
    assertThat(BackgroundToolBuild.running(tools)).isPresent();
  }
}
