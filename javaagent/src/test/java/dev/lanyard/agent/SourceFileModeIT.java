package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Programs run from their source file ({@code java App.java}, JEP 330/458) are applications: the
 * JVM's launcher class is the JDK's source launcher ({@code com.sun.tools.javac.launcher.Main} on
 * Java 17, {@code SourceLauncher} on 22 and later), and the javaagent must not take it for a JDK
 * tool. Run on the JDK that runs the tests, so the suite's runs on JDK 17 and Temurin 25 cover
 * both launchers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SourceFileModeIT {
  static final Path SOURCES = Path.of("src/test/resources/source-mode").toAbsolutePath();

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private Workload server;
  private Workload script;

  @BeforeAll
  void register() {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5801, "/ns/mesh/sa/server");
    script = Workload.register(cluster, 5802, "/ns/mesh/sa/script");
    server.awaitSvid(cluster);
    script.awaitSvid(cluster);
  }

  @Test
  void aProgramRunFromItsSourceFileCallsWithItsSvid() {
    try (Server jdk = Mesh.server(spire.cluster(), server, "JdkHttpsServerApp",
        Mesh.env("LANYARD_ALLOWED_PEERS", script.spiffeId()));
        JvmProcess client = sourceFile("MeshClient.java", script, jdk.httpsUrl()).start()) {
      int exit = client.awaitExit(Duration.ofSeconds(120));

      assertThat(exit).as(client.output()).isZero();
      assertThat(client.output()).as(client.output())
          .contains("OK status=200 server_peer=" + server.spiffeId() + " body=peer=" + script.spiffeId())
          .containsPattern("lanyard: javaagent \\S+ ready: " + java.util.regex.Pattern.quote(
              script.spiffeId()))
          .doesNotContain("javaagent not started");
    }
  }

  @Test
  void aProgramRunFromItsSourceFileServesMutualTlsWithItsSvid() {
    try (JvmProcess meshServer = sourceFile("MeshServer.java", script).start()) {
      int port = Integer.parseInt(meshServer.awaitOutput("LISTENING port=(\\d+)",
          Duration.ofSeconds(120)).group(1));

      ClientRun run = Mesh.client(spire.cluster(), server, "JdkHttpClientApp",
          "https://localhost:" + port + "/hello", 1, Map.of());

      assertThat(run.exit()).as(run + "\nserver:\n" + meshServer.output()).isZero();
      assertThat(run.output()).as(run.toString())
          .contains("OK status=200 server_peer=" + script.spiffeId() + " body=peer="
              + server.spiffeId());
      assertThat(meshServer.output()).doesNotContain("javaagent not started");
    }
  }

  /** {@code java -javaagent:lanyard.jar <source file> args}, as {@code workload}. */
  private JvmProcess.Builder sourceFile(String file, Workload workload, String... args) {
    return JvmProcess.builder(file)
        .mainClass(SOURCES.resolve(file).toString())
        .args(args)
        .gid(workload.gid())
        .javaagent(Mesh.AGENT_JAR)
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next())
        .env("LANYARD_STARTUP", "wait=20s,then=fail");
  }
}
