package dev.lanyard.agent.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JvmSupportTest {
  @Test
  void readsFeatureReleasesInBothVersionSchemes() {
    assertThat(JvmSupport.feature("1.8")).isEqualTo(8);
    assertThat(JvmSupport.feature("11")).isEqualTo(11);
    assertThat(JvmSupport.feature("25")).isEqualTo(25);
    assertThat(JvmSupport.feature("26-ea")).isEqualTo(26);
    assertThat(JvmSupport.feature(null)).isZero();
    assertThat(JvmSupport.feature("garbage")).isZero();
  }

  @Test
  void refusesJava8WithASentenceAndAcceptsElevenAndLater() {
    assertThat(JvmSupport.whyUnsupported("1.8"))
        .isEqualTo("Java 1.8 is older than 11, the oldest Java Lanyard supports");
    assertThat(JvmSupport.whyUnsupported("11")).isNull();
    assertThat(JvmSupport.whyUnsupported("17")).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sun.security.tools.keytool.Main -list -keystore x.p12",
      "sun.tools.jcmd.JCmd 1234 VM.flags",
      "jdk.jcmd/sun.tools.jps.Jps",
      "jdk.jshell/jdk.internal.jshell.tool.JShellToolProvider",
      "com.sun.tools.javac.Main Foo.java",
      "jdk.jfr/jdk.jfr.internal.tool.Main print x.jfr"})
  void recognisesJdkTools(String javaCommand) {
    assertThat(JvmSupport.isJdkTool(javaCommand)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "com.example.orchestrator.Main --port 8443",
      "/app/service.jar",
      "org.springframework.boot.loader.launch.JarLauncher",
      "my.module/com.example.Main"})
  void treatsApplicationsAsApplications(String javaCommand) {
    assertThat(JvmSupport.isJdkTool(javaCommand)).isFalse();
  }

  @Test
  void anUnknownCommandIsAnApplication() {
    assertThat(JvmSupport.isJdkTool(null)).isFalse();
    assertThat(JvmSupport.isJdkTool("  ")).isFalse();
  }
}
