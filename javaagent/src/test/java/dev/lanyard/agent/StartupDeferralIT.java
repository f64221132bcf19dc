package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The javaagent loads only what a workload uses (issue 22, item 4), read from the real JVM's
 * {@code -Xlog:class+load} after a real mTLS request with an SVID from real SPIRE: without
 * {@code LANYARD_JWT_AUDIENCES} no JWT class, with {@code LANYARD_ADMIN_ADDRESS=off} no admin
 * server class and, with no metrics port either, no Prometheus class; without {@code
 * LANYARD_UPGRADE_*} no socket-upgrade class. The same client with audiences set loads the JWT
 * classes, and with an admin endpoint the admin server and Prometheus, so the log read here is the
 * one that would show them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StartupDeferralIT {
  /** A class line of {@code -Xlog:class+load}: the class name, then its source. */
  private static final Pattern LOADED = Pattern.compile("\\]\\s+(\\S+) source: ");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().build();

  @TempDir
  Path logs;

  private Workload client;
  private Server server;

  @BeforeAll
  void setUp() {
    SpireCluster cluster = spire.cluster();
    Workload serverWorkload = Workload.register(cluster, 5721, "/ns/deferral/sa/server");
    client = Workload.register(cluster, 5722, "/ns/deferral/sa/client");
    serverWorkload.awaitSvid(cluster);
    client.awaitSvid(cluster);
    server = Mesh.server(cluster, serverWorkload, "JettyServerApp", Map.of());
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aClientWithoutAudiencesAdminOrUpgradeLoadsNoneOfTheirClasses() throws IOException {
    List<String> lanyard = lanyardClassesOfOneRequest("plain",
        Map.of("LANYARD_ADMIN_ADDRESS", "off"));

    assertThat(lanyard).as("the agent ran: its runtime and TLS hooks loaded")
        .contains("dev.lanyard.agent.AgentRuntime", "dev.lanyard.agent.AgentTlsHooks");
    // dev.lanyard.config.JwtAudiences is the parsed (empty) value of the variable itself;
    // java-spiffe's X.509 code loads its io.spiffe.exception.JwtBundleException, not ours.
    assertThat(lanyard).as("Lanyard's JWT classes without LANYARD_JWT_AUDIENCES")
        .filteredOn(name -> name.startsWith("dev.lanyard.") && name.contains("Jwt")
            && !name.startsWith("dev.lanyard.config."))
        .isEmpty();
    assertThat(lanyard).as("admin server classes with LANYARD_ADMIN_ADDRESS=off (and no health or"
        + " metrics port)")
        .filteredOn(name -> name.startsWith("dev.lanyard.tls.AdminServer")
            || name.startsWith("dev.lanyard.tls.AdminEndpoints")
            || name.startsWith("dev.lanyard.tls.RecentPeers")
            || name.startsWith("dev.lanyard.tls.AppProbeRunner"))
        .isEmpty();
    assertThat(lanyard).as("Prometheus classes with no admin endpoint and no metrics port")
        .filteredOn(name -> name.startsWith("io.prometheus."))
        .isEmpty();
    assertThat(lanyard).as("socket-upgrade classes without LANYARD_UPGRADE_*")
        .filteredOn(name -> name.startsWith("dev.lanyard.agent.upgrade.")
            || name.equals("dev.lanyard.agent.SocketUpgradeHooks")
            || name.endsWith(".ServerBindInstrumentation")
            || name.endsWith(".ClientConnectInstrumentation"))
        .isEmpty();
  }

  @Test
  void theSameClientWithAudiencesLoadsTheJwtClasses() throws IOException {
    List<String> lanyard = lanyardClassesOfOneRequest("jwt",
        Map.of("LANYARD_JWT_AUDIENCES", "localhost=api"));

    assertThat(lanyard).contains("dev.lanyard.tls.JwtSender", "dev.lanyard.agent.JwtRequestHeaders",
        "dev.lanyard.agent.instrumentation.JdkHttpClientJwtInstrumentation");
  }

  @Test
  void theSameClientWithTheAdminEndpointLoadsTheAdminServerAndPrometheus() throws IOException {
    List<String> lanyard = lanyardClassesOfOneRequest("admin",
        Map.of("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next()));

    assertThat(lanyard).contains("dev.lanyard.tls.AdminServer", "dev.lanyard.tls.AdminEndpoints",
        "dev.lanyard.tls.RecentPeers", "dev.lanyard.tls.LanyardMetrics");
    assertThat(lanyard).anyMatch(name -> name.startsWith("io.prometheus."));
  }

  /** One mTLS request of the JDK HttpClient under the agent; the agent jar's classes it loaded. */
  private List<String> lanyardClassesOfOneRequest(String name, Map<String, String> env)
      throws IOException {
    Path log = logs.resolve(name + "-class-load.log");
    String output;
    try (JvmProcess process = Mesh.app("JdkHttpClientApp", spire.cluster(), client,
            "JdkHttpClientApp", env, "--url", server.httpsUrl(), "--requests", "1", "--tls",
            "default")
        .jvmArg("-Xlog:class+load=info:file=" + log)
        .start()) {
      int exit = process.awaitExit(Duration.ofSeconds(90));
      output = process.output();
      assertThat(exit).as(output).isZero();
    }
    assertThat(output).contains("SUMMARY ok=1 failed=0");
    String agentJar = Mesh.AGENT_JAR.toAbsolutePath().normalize().toString();
    return Files.readAllLines(log).stream()
        .filter(line -> line.contains(agentJar))
        .map(line -> {
          Matcher matcher = LOADED.matcher(line);
          return matcher.find() ? matcher.group(1) : line;
        })
        .collect(Collectors.toList());
  }
}
