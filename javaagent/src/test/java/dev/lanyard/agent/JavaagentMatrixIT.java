package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compatibility matrix: unmodified clients and servers, each in its own JVM with the real
 * javaagent and its own SVID from a real SPIRE Agent. Every client runs against at least two
 * servers and every server serves at least two clients; both sides report the SPIFFE ID they saw.
 * The HTTP servers run twice: asking for client certificates themselves, and set up as one-way TLS
 * services ({@code --client-auth none}: the JDK HttpsServer's default configurator, Jetty, Tomcat
 * and Netty at their defaults; {@code parameters}: a configurator applying the default
 * SSLParameters), where only the javaagent demands the client's SVID.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaagentMatrixIT {
  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private Workload serverWorkload;
  private Workload clientWorkload;
  private final Map<String, Server> servers = new LinkedHashMap<>();

  @BeforeAll
  void startServers() {
    SpireCluster cluster = spire.cluster();
    serverWorkload = Workload.register(cluster, 5001, "/ns/mesh/sa/server");
    clientWorkload = Workload.register(cluster, 5002, "/ns/mesh/sa/client");
    serverWorkload.awaitSvid(cluster);
    clientWorkload.awaitSvid(cluster);
    Map<String, String> env = Mesh.env("LANYARD_ALLOWED_PEERS", clientWorkload.spiffeId());
    servers.put("JdkHttpsServerApp", Mesh.server(cluster, serverWorkload, "JdkHttpsServerApp", env));
    servers.put("JettyServerApp", Mesh.server(cluster, serverWorkload, "JettyServerApp", env));
    servers.put("TomcatServerApp", Mesh.server(cluster, serverWorkload, "TomcatServerApp", env));
    servers.put("NettyServerApp", Mesh.server(cluster, serverWorkload, "NettyServerApp", env));
    servers.put("GrpcServerApp", Mesh.server(cluster, serverWorkload, "GrpcServerApp", env));
    servers.put("GrpcServerApp/openssl", Mesh.server(cluster, serverWorkload, "GrpcServerApp", env,
        "--ssl-provider", "openssl"));
    // Servers that ask for no client certificate, set up the way one-way TLS services are: the
    // javaagent must still demand the client's SVID, so the server sees the client's SPIFFE ID.
    for (String server : List.of("JdkHttpsServerApp", "JettyServerApp", "TomcatServerApp",
        "NettyServerApp")) {
      servers.put(server + "/none", Mesh.server(cluster, serverWorkload, server, env,
          "--client-auth", "none"));
    }
    servers.put("JdkHttpsServerApp/parameters", Mesh.server(cluster, serverWorkload,
        "JdkHttpsServerApp", env, "--client-auth", "parameters"));
  }

  @AfterAll
  void stopServers() {
    servers.values().forEach(Server::close);
  }

  static Stream<Arguments> pairs() {
    return Stream.of(
        Arguments.of("JdkHttpClientApp", "JdkHttpsServerApp"),
        Arguments.of("JdkHttpClientApp", "JettyServerApp"),
        Arguments.of("HttpsUrlConnectionApp", "TomcatServerApp"),
        Arguments.of("HttpsUrlConnectionApp", "NettyServerApp"),
        Arguments.of("ApacheHttpClientApp", "JettyServerApp"),
        Arguments.of("ApacheHttpClientApp", "TomcatServerApp"),
        Arguments.of("OkHttpClientApp", "NettyServerApp"),
        Arguments.of("OkHttpClientApp", "JdkHttpsServerApp"),
        Arguments.of("ReactorNettyClientApp", "TomcatServerApp"),
        Arguments.of("ReactorNettyClientApp", "JdkHttpsServerApp"),
        Arguments.of("GrpcClientApp", "GrpcServerApp"),
        Arguments.of("GrpcClientApp", "GrpcServerApp/openssl"),
        Arguments.of("JdkHttpClientApp", "JdkHttpsServerApp/none"),
        Arguments.of("HttpsUrlConnectionApp", "JdkHttpsServerApp/none"),
        Arguments.of("OkHttpClientApp", "JdkHttpsServerApp/parameters"),
        Arguments.of("ApacheHttpClientApp", "JdkHttpsServerApp/parameters"),
        Arguments.of("ApacheHttpClientApp", "JettyServerApp/none"),
        Arguments.of("ReactorNettyClientApp", "TomcatServerApp/none"),
        Arguments.of("JdkHttpClientApp", "NettyServerApp/none"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("pairs")
  void mutualTlsWithSvidsAndEachSideSeesTheOthersSpiffeId(String client, String server) {
    Server target = servers.get(server);
    String address = client.startsWith("Grpc") ? target.target() : target.httpsUrl();

    ClientRun run = Mesh.client(spire.cluster(), clientWorkload, client, address, 2, Map.of(),
        "--interval-ms", "50");

    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(run.output()).as(run.toString())
        .contains("OK status=" + (client.startsWith("Grpc") ? "OK" : "200")
            + " server_peer=" + serverWorkload.spiffeId()
            + " body=peer=" + clientWorkload.spiffeId())
        .contains("SUMMARY ok=2 failed=0");
  }
}
