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

  /** What {@code sun.java.command} reads in each tool, as seen on JDK 17 and Temurin 25. */
  @ParameterizedTest
  @ValueSource(strings = {
      "java.base/sun.security.tools.keytool.Main -list -keystore x.p12",
      "jdk.jcmd/sun.tools.jcmd.JCmd 1234 VM.flags",
      "jdk.jcmd/sun.tools.jps.Jps",
      "jdk.jshell/jdk.internal.jshell.tool.JShellToolProvider -q",
      "jdk.compiler/com.sun.tools.javac.Main -d out Foo.java",
      "jdk.jartool/sun.tools.jar.Main --version",
      "jdk.javadoc/jdk.javadoc.internal.tool.Main --version",
      "jdk.jlink/jdk.tools.jlink.internal.Main --version",
      "jdk.jdeps/com.sun.tools.jdeps.Main --version",
      "jdk.jfr/jdk.jfr.internal.tool.Main print x.jfr",
      "jdk.httpserver/sun.net.httpserver.simpleserver.Main"})
  void recognisesJdkToolsByTheirModule(String javaCommand) {
    assertThat(JvmSupport.jdkTool(javaCommand)).isEqualTo(javaCommand.split(" ")[0]);
  }

  /** {@code java App.java} (JEP 330 up to Java 21, JEP 458's SourceLauncher from 22) is a program. */
  @ParameterizedTest
  @ValueSource(strings = {
      "jdk.compiler/com.sun.tools.javac.launcher.Main App.java",
      "jdk.compiler/com.sun.tools.javac.launcher.SourceLauncher App.java --port 8443",
      "jdk.compiler/com.sun.tools.javac.launcher.Main /usr/local/bin/script"})
  void aProgramRunFromItsSourceFileIsAnApplication(String javaCommand) {
    assertThat(JvmSupport.jdkTool(javaCommand)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "com.example.orchestrator.Main --port 8443",
      "/app/service.jar",
      "org.springframework.boot.loader.launch.JarLauncher",
      "my.module/com.example.Main",
      "com.sun.enterprise.glassfish.bootstrap.ASMain -domainname domain1",
      "sun.security.tools.keytool.Main",
      "jdk.example.Main"})
  void treatsApplicationsAsApplicationsWhateverTheirPackage(String javaCommand) {
    assertThat(JvmSupport.jdkTool(javaCommand)).isNull();
  }

  @Test
  void anUnknownCommandIsAnApplication() {
    assertThat(JvmSupport.jdkTool(null)).isNull();
    assertThat(JvmSupport.jdkTool("  ")).isNull();
  }
}
