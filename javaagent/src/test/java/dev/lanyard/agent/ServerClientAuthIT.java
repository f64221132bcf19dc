package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Servers that do not ask for client certificates, set up the way ordinary one-way TLS services
 * are (the JDK HttpsServer's default HttpsConfigurator, a configurator applying the context's
 * default SSLParameters, Jetty, Tomcat and Netty left at their defaults), each in a real JVM with
 * the real javaagent and an SVID from a real SPIRE: a TLS client without a certificate, written
 * with Python's ssl module, is refused in the handshake, over TLS 1.3 and 1.2. And every way JSSE
 * lets an application leave client authentication off ends with the client SVID demanded, except
 * on the ports in LANYARD_PLAIN_PORTS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerClientAuthIT {
  static final Path NO_CERT_CLIENT =
      Path.of("src/test/resources/python/no_cert_client.py").toAbsolutePath();

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private Workload serverWorkload;
  private final Map<String, Server> servers = new LinkedHashMap<>();

  @BeforeAll
  void startServers() {
    SpireCluster cluster = spire.cluster();
    serverWorkload = Workload.register(cluster, 5701, "/ns/mesh/sa/one-way-server");
    serverWorkload.awaitSvid(cluster);
    servers.put("JdkHttpsServerApp/none", Mesh.server(cluster, serverWorkload,
        "JdkHttpsServerApp", Map.of(), "--client-auth", "none"));
    servers.put("JdkHttpsServerApp/parameters", Mesh.server(cluster, serverWorkload,
        "JdkHttpsServerApp", Map.of(), "--client-auth", "parameters"));
    servers.put("JettyServerApp/none", Mesh.server(cluster, serverWorkload, "JettyServerApp",
        Map.of(), "--client-auth", "none"));
    servers.put("TomcatServerApp/none", Mesh.server(cluster, serverWorkload, "TomcatServerApp",
        Map.of(), "--client-auth", "none"));
    servers.put("NettyServerApp/jdk/none", Mesh.server(cluster, serverWorkload, "NettyServerApp",
        Map.of(), "--client-auth", "none", "--ssl-provider", "jdk"));
  }

  @AfterAll
  void stopServers() {
    servers.values().forEach(Server::close);
  }

  static Stream<Arguments> serversAndVersions() {
    return Stream.of("JdkHttpsServerApp/none", "JdkHttpsServerApp/parameters",
            "JettyServerApp/none", "TomcatServerApp/none", "NettyServerApp/jdk/none")
        .flatMap(server -> Stream.of(Arguments.of(server, "1.3"), Arguments.of(server, "1.2")));
  }

  @ParameterizedTest(name = "{0} over TLS {1}")
  @MethodSource("serversAndVersions")
  void aClientWithoutACertificateIsRefusedByAServerThatAskedForNone(String name, String version) {
    Server server = servers.get(name);

    Command.Result python = Command.run(Duration.ofSeconds(30), "python3",
        NO_CERT_CLIENT.toString(), "127.0.0.1", Integer.toString(server.port()), version);

    assertThat(python.output()).as(name + " answered a client without a certificate:\n"
        + python.output() + "\nserver log:\n" + server.process().output())
        .startsWith("REFUSED").doesNotContain("SERVED");
  }

  @Test
  void everyWayToLeaveClientAuthOffEndsWithTheClientSvidDemandedExceptOnPlainPorts() {
    SpireCluster cluster = spire.cluster();
    int plain = FreePorts.next();
    int otherPlain = FreePorts.next();
    try (JvmProcess probe = Mesh.app("ClientAuthProbeApp", cluster, serverWorkload,
        "ClientAuthProbeApp", Mesh.env("LANYARD_PLAIN_PORTS", plain + "," + otherPlain),
        "--plain-ports", plain + "," + otherPlain).start()) {
      int exit = probe.awaitExit(Duration.ofSeconds(90));
      String output = probe.output();

      assertThat(exit).as(output).isZero();
      Map<String, Boolean> cases = cases(output);
      assertThat(cases).as(output).hasSize(Integer.parseInt(
          probe.awaitOutput("CASES (\\d+)", Duration.ofSeconds(1)).group(1))).hasSizeGreaterThan(15);
      List<String> wrong = cases.entrySet().stream()
          .filter(entry -> entry.getValue() == entry.getKey().startsWith("exempt."))
          .map(entry -> entry.getKey() + " need=" + entry.getValue())
          .toList();
      assertThat(wrong).as("servers left with the wrong client-auth setting (want need=true, and"
          + " need=false on the LANYARD_PLAIN_PORTS) in:\n" + output).isEmpty();
    }
  }

  private static Map<String, Boolean> cases(String output) {
    Map<String, Boolean> cases = new LinkedHashMap<>();
    Matcher line = Pattern.compile("(?m)^CASE (\\S+) need=(true|false)$").matcher(output);
    while (line.find()) {
      cases.put(line.group(1), Boolean.parseBoolean(line.group(2)));
    }
    return cases;
  }
}
