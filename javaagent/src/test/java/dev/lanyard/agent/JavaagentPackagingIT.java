package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The built jar: its class-file levels, JDK tools that skip it, and isolation from the app's libraries. */
class JavaagentPackagingIT {
  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  @Test
  void thePremainPackageIsJava8AndEverythingOfOursIsJava11() throws Exception {
    List<String> tooNew = new ArrayList<>();
    int bootstrapClasses = 0;
    try (JarFile jar = new JarFile(Mesh.AGENT_JAR.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Premain-Class"))
          .isEqualTo("dev.lanyard.agent.bootstrap.LanyardPremain");
      for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
        JarEntry entry = entries.nextElement();
        String name = entry.getName();
        if (name.startsWith("dev/lanyard/agent/bootstrap/") && name.endsWith(".class")) {
          bootstrapClasses++;
          if (major(jar, entry) > 52) {
            tooNew.add(name + " is class file " + major(jar, entry));
          }
        } else if (name.startsWith("inst/dev/lanyard/") && name.endsWith(".classdata")
            && major(jar, entry) > 55) {
          tooNew.add(name + " is class file " + major(jar, entry));
        } else if (name.endsWith(".class") && !name.startsWith("dev/lanyard/agent/bootstrap/")) {
          tooNew.add(name + " is visible to the system class loader");
        }
      }
    }
    assertThat(bootstrapClasses).isGreaterThanOrEqualTo(6);
    assertThat(tooNew).isEmpty();
  }

  /**
   * The Workload API client is Lanyard's own HTTP/2 framing on the JDK's socket channel (issue
   * 22): no Netty (neither copy), no grpc-java, no native library in the jar; HPACK is Twitter's.
   */
  @Test
  void theJarHoldsNoNettyNoGrpcAndNoNativeLibrary() throws Exception {
    List<String> entries = new ArrayList<>();
    try (JarFile jar = new JarFile(Mesh.AGENT_JAR.toFile())) {
      for (Enumeration<JarEntry> all = jar.entries(); all.hasMoreElements(); ) {
        entries.add(all.nextElement().getName());
      }
    }
    assertThat(entries).filteredOn(name -> name.contains("io/netty/") || name.contains("io/grpc/")
        || name.contains("netty") || name.startsWith("inst/META-INF/native/")
        || name.endsWith(".so")).isEmpty();
    assertThat(entries).contains("inst/dev/lanyard/tls/workloadapi/Http2Session.classdata",
        "inst/com/twitter/hpack/Decoder.classdata",
        "inst/dev/lanyard/tls/workloadapi/proto/Workload.classdata");
  }

  /**
   * JDK tools see the workload's JAVA_TOOL_OPTIONS too; they are skipped, each saying so in
   * exactly one line that names the tool (its module/main class) and why, and run as usual.
   */
  @ParameterizedTest
  @CsvSource({
      "keytool -help, java.base/sun.security.tools.keytool.Main",
      "jcmd -l, jdk.jcmd/sun.tools.jcmd.JCmd",
      "jps -q, jdk.jcmd/sun.tools.jps.Jps",
      "jar --version, jdk.jartool/sun.tools.jar.Main",
      "javac -d {dir} {dir}/Hello.java, jdk.compiler/com.sun.tools.javac.Main"})
  void jdkToolsWithTheSameJavaToolOptionsSkipTheAgentWithOneLine(String tool, String mainClass,
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("Hello.java"), "class Hello {}\n");
    List<String> command = new ArrayList<>(List.of(tool.replace("{dir}", dir.toString()).split(" ")));
    command.set(0, Path.of(System.getProperty("java.home"), "bin", command.get(0)).toString());
    List<String> withOptions = new ArrayList<>(List.of("env",
        "JAVA_TOOL_OPTIONS=-javaagent:" + Mesh.AGENT_JAR.toAbsolutePath(),
        "SPIFFE_ENDPOINT_SOCKET=unix:///nonexistent/agent.sock", "LANYARD_STARTUP=wait=1s,then=fail"));
    withOptions.addAll(command);

    Command.Result result = Command.run(Duration.ofSeconds(60), withOptions);

    assertThat(result.output()).contains("Picked up JAVA_TOOL_OPTIONS");
    assertThat(result.output().lines().filter(line -> line.contains("lanyard:")).toList())
        .as(result.output())
        .containsExactly("lanyard: javaagent not started: " + mainClass + " is a JDK tool, not an"
            + " application; it runs without Lanyard");
    assertThat(result.exitCode()).as(result.output()).isZero();
    if (tool.startsWith("javac")) {
      assertThat(dir.resolve("Hello.class")).exists();
    }
  }

  @Test
  void anAgentListedTwiceRunsOnceAndTheSecondCopySaysItStepsAside() {
    SpireCluster cluster = spire.cluster();
    Workload app = Workload.register(cluster, 5303, "/ns/iso/sa/twice");
    app.awaitSvid(cluster);
    int plain = dev.lanyard.testkit.FreePorts.next();
    int otherPlain = dev.lanyard.testkit.FreePorts.next();

    try (JvmProcess probe = Mesh.app("twice", cluster, app, "ClientAuthProbeApp",
        Mesh.env("LANYARD_PLAIN_PORTS", plain + "," + otherPlain),
        "--plain-ports", plain + "," + otherPlain)
        .jvmArg("-javaagent:" + Mesh.AGENT_JAR.toAbsolutePath()).start()) {
      int exit = probe.awaitExit(Duration.ofSeconds(90));
      String output = probe.output();

      assertThat(exit).as(output).isZero();
      assertThat(output.lines().filter(line -> line.contains("not started")).toList()).as(output)
          .containsExactly("lanyard: javaagent not started again: it is already running in this"
              + " JVM (listed twice, e.g. in JAVA_TOOL_OPTIONS and on the command line?); this"
              + " copy steps aside");
      assertThat(output).doesNotContain("ERROR");
      // The copy that runs has its hooks in place: a server left without client auth demands it.
      assertThat(output).contains("CASE engine.server-mode-then-default-parameters need=true");
    }
  }

  @Test
  void anAppBundlingOtherVersionsOfOurLibrariesKeepsThemAndStillSpeaksMeshTls() {
    SpireCluster cluster = spire.cluster();
    Workload server = Workload.register(cluster, 5301, "/ns/iso/sa/server");
    Workload app = Workload.register(cluster, 5302, "/ns/iso/sa/old-libraries");
    server.awaitSvid(cluster);
    app.awaitSvid(cluster);
    Path isolation = Mesh.COMPAT.resolveSibling("../compat-apps-isolation/target").normalize();
    String classpath = isolation.resolve("classes") + ":" + read(isolation.resolve("classpath.txt"));

    try (Server jdk = Mesh.server(cluster, server, "JdkHttpsServerApp", Map.of());
        JvmProcess plain = isolationApp(cluster, null, classpath, jdk);
        JvmProcess withAgent = isolationApp(cluster, app, classpath, jdk)) {
      plain.awaitExit(Duration.ofSeconds(60));
      int exit = withAgent.awaitExit(Duration.ofSeconds(60));

      assertThat(exit).as(withAgent.output()).isZero();
      assertThat(loaded(withAgent.output())).isEqualTo(loaded(plain.output())).isNotEmpty();
      assertThat(withAgent.output()).contains("OK status=200 server_peer=" + server.spiffeId()
          + " body=peer=" + app.spiffeId());
    }
  }

  private static JvmProcess isolationApp(SpireCluster cluster, Workload workload, String classpath,
      Server target) {
    JvmProcess.Builder builder = JvmProcess.builder(workload == null ? "isolation-plain" : "isolation")
        .classpath(classpath).mainClass("dev.lanyard.compat.IsolationApp")
        .args("--url", target.httpsUrl(), "--tls", "default")
        .env("SPIFFE_ENDPOINT_SOCKET", cluster.workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", "off");
    if (workload != null) {
      builder.gid(workload.gid()).javaagent(Mesh.AGENT_JAR);
    }
    return builder.start();
  }

  /** The LOADED lines (library, version and jar the app's own classes came from). */
  private static String loaded(String output) {
    return output.lines().filter(line -> line.startsWith("LOADED ")).sorted()
        .collect(Collectors.joining("\n"));
  }

  private static int major(JarFile jar, JarEntry entry) throws Exception {
    try (InputStream in = jar.getInputStream(entry); DataInputStream data = new DataInputStream(in)) {
      data.readInt();
      data.readUnsignedShort();
      return data.readUnsignedShort();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file).trim();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
