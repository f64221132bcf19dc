package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Child JVMs run as the uid, with the env and arguments we ask for, and report their exit code. */
class JvmProcessIT {
  private static final String CLASSPATH = System.getProperty("java.class.path");

  @Test
  void runsAJvmAsAnotherUidWithExactlyTheGivenEnvironment() {
    try (JvmProcess jvm = JvmProcess.builder("print-identity")
        .classpath(CLASSPATH)
        .mainClass(PrintIdentityMain.class.getName())
        .args("a", "b")
        .env("GREETING", "hi")
        .uid(4242)
        .start()) {
      assertThat(jvm.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
      assertThat(jvm.output())
          .contains("uid=4242", "GREETING=hi", "JAVA_TOOL_OPTIONS=null", "args=a,b");
    }
  }

  @Test
  void aMissingJavaagentJarIsAClearErrorBeforeAnythingStarts() {
    assertThatThrownBy(() -> JvmProcess.builder("no-agent")
        .javaagent(Path.of("/nonexistent/lanyard-javaagent.jar"))
        .mainClass(PrintIdentityMain.class.getName())
        .start())
        .hasMessageContaining("/nonexistent/lanyard-javaagent.jar does not exist");
  }
}
