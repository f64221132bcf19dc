package dev.lanyard.compat;

import static dev.lanyard.compat.TestCertificates.CLIENT_ID;
import static dev.lanyard.compat.TestCertificates.PASSWORD;
import static dev.lanyard.compat.TestCertificates.SERVER_ID;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every server app in a real child JVM, hit by real client-app JVMs, without the javaagent: with
 * PKCS#12 files (keystore mode), with the JVM's standard {@code javax.net.ssl.*} properties
 * (default mode) and in plaintext. Each side must report the other's URI SAN through its own
 * library's API, which is what the javaagent tests will rely on.
 *
 * <p>All fifteen servers (five apps in three modes) start together once; the client runs, about
 * forty JVMs of a second or two each, go two at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Execution(ExecutionMode.CONCURRENT)
class CompatMatrixTest {
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration RUN = Duration.ofSeconds(60);
  private static final List<String> SERVERS = List.of("JdkHttpsServerApp", "JettyServerApp",
      "TomcatServerApp", "NettyServerApp", "GrpcServerApp");
  private static final Pattern REQUEST_LINE = Pattern.compile("(?m)^(OK|FAIL) .*$");

  @TempDir static Path dir;

  private String classpath;
  private TestCertificates.Files pki;
  private final Map<String, AppProcess> servers = new ConcurrentHashMap<>();
  private final Map<String, Integer> ports = new ConcurrentHashMap<>();

  @BeforeAll
  void startServers() throws Exception {
    classpath = AppProcess.classpath("compat.classes", "compat.classpathFile");
    pki = TestCertificates.write(dir);
    for (String server : SERVERS) {
      start(server, "keystore", List.of(), List.of("--tls", "keystore",
          "--keystore", pki.serverKeyStore().toString(), "--truststore", pki.trustStore().toString(),
          "--password", PASSWORD));
      start(server, "default", jvmDefaults(pki.serverKeyStore()), List.of("--tls", "default"));
      start(server, "plain", List.of(), List.of("--tls", "plain"));
    }
    for (Map.Entry<String, AppProcess> server : servers.entrySet()) {
      ports.put(server.getKey(), server.getValue().awaitPort(START));
    }
  }

  @AfterAll
  void stopServers() {
    servers.values().forEach(AppProcess::close);
  }

  /** Every client against at least two servers, every server against at least two clients. */
  static Stream<Arguments> pairs() {
    return Stream.of(
        Arguments.of("JdkHttpsServerApp", "JdkHttpClientApp", List.of()),
        Arguments.of("JdkHttpsServerApp", "OkHttpClientApp", List.of("--new-connection-per-request")),
        Arguments.of("JdkHttpsServerApp", "HttpsUrlConnectionApp", List.of()),
        Arguments.of("JettyServerApp", "HttpsUrlConnectionApp",
            List.of("--new-connection-per-request")),
        Arguments.of("JettyServerApp", "ApacheHttpClientApp", List.of()),
        Arguments.of("JettyServerApp", "ReactorNettyClientApp", List.of("--ssl-provider", "jdk")),
        Arguments.of("TomcatServerApp", "ApacheHttpClientApp",
            List.of("--new-connection-per-request")),
        Arguments.of("TomcatServerApp", "ReactorNettyClientApp",
            List.of("--new-connection-per-request")),
        Arguments.of("TomcatServerApp", "OkHttpClientApp", List.of()),
        Arguments.of("JettyServerApp", "ApacheHttpClient4App", List.of()),
        Arguments.of("TomcatServerApp", "ApacheHttpClient4App",
            List.of("--new-connection-per-request")),
        Arguments.of("NettyServerApp", "ReactorNettyClientApp", List.of()),
        Arguments.of("NettyServerApp", "JdkHttpClientApp", List.of("--new-connection-per-request")),
        Arguments.of("GrpcServerApp", "GrpcClientApp", List.of()),
        Arguments.of("GrpcServerApp", "GrpcClientApp",
            List.of("--ssl-provider", "jdk", "--new-connection-per-request")));
  }

  @ParameterizedTest(name = "{0} <- {1} {2}")
  @MethodSource("pairs")
  void keystoreMutualTlsReportsBothIdentities(String server, String client, List<String> extra) {
    List<String> args = new ArrayList<>(List.of("--tls", "keystore",
        "--keystore", pki.clientKeyStore().toString(), "--truststore", pki.trustStore().toString(),
        "--password", PASSWORD));
    args.addAll(extra);
    AppProcess run = runClient(server + "-keystore", client, List.of(), target(server, "keystore"),
        args);
    assertAllOk(run, SERVER_ID, CLIENT_ID);
  }

  @ParameterizedTest(name = "{0} <- {1} {2}")
  @MethodSource("pairs")
  void plaintextWorksAndReportsNoIdentity(String server, String client, List<String> extra) {
    List<String> args = new ArrayList<>(List.of("--tls", "plain"));
    args.addAll(extra.stream().filter(arg -> arg.startsWith("--new")).toList());
    AppProcess run = runClient(server + "-plain", client, List.of(), target(server, "plain"), args);
    assertAllOk(run, Peers.NONE, Peers.NONE);
  }

  /** Default mode without the javaagent: the JVM's standard javax.net.ssl.* properties apply. */
  static Stream<Arguments> defaultPairs() {
    return Stream.of(
        Arguments.of("JdkHttpsServerApp", "JdkHttpClientApp"),
        Arguments.of("JettyServerApp", "HttpsUrlConnectionApp"),
        Arguments.of("TomcatServerApp", "JdkHttpClientApp"),
        Arguments.of("NettyServerApp", "HttpsUrlConnectionApp"));
  }

  @ParameterizedTest(name = "{0} <- {1}")
  @MethodSource("defaultPairs")
  void defaultModeUsesTheJvmDefaultTls(String server, String client) {
    AppProcess run = runClient(server + "-default", client, jvmDefaults(pki.clientKeyStore()),
        target(server, "default"), List.of("--tls", "default"));
    assertAllOk(run, SERVER_ID, CLIENT_ID);
  }

  @org.junit.jupiter.api.Test
  void grpcServerDefaultModeTakesItsKeyFromTheJvmDefaults() {
    AppProcess run = runClient("GrpcServerApp-default", "GrpcClientApp", List.of(),
        target("GrpcServerApp", "default"), List.of("--tls", "keystore",
            "--keystore", pki.clientKeyStore().toString(),
            "--truststore", pki.trustStore().toString(), "--password", PASSWORD));
    assertAllOk(run, SERVER_ID, CLIENT_ID);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"JdkHttpsServerApp", "JettyServerApp", "TomcatServerApp",
      "NettyServerApp", "GrpcServerApp"})
  void clientWithoutCertificateIsRefusedAndTheServerLogsOneLine(String server) {
    String client = server.equals("GrpcServerApp") ? "GrpcClientApp" : "JdkHttpClientApp";
    AppProcess serverProcess = servers.get(server + "-keystore");
    AppProcess run = runClient(server + "-keystore-nocert", client, List.of(),
        target(server, "keystore"), List.of("--tls", "keystore",
            "--truststore", pki.trustStore().toString(), "--password", PASSWORD));
    assertThat(run.awaitExit(RUN)).as(run.report()).isEqualTo(1);
    assertThat(run.stdout()).as(run.report())
        .containsPattern("(?m)^FAIL \\S+: .*$")
        .containsPattern("(?m)^SUMMARY ok=0 failed=4 ");
    serverProcess.awaitStderr(Pattern.compile(
        "(?mi)^ERROR .*(handshake|certificate|ssl exception).*$"), Duration.ofSeconds(10));
  }

  @org.junit.jupiter.api.Test
  void serverNotTrustedByTheClientIsAFailure() {
    // No --truststore: the JVM's default trust store does not know the test CA.
    AppProcess run = runClient("JettyServerApp-keystore-untrusted", "OkHttpClientApp", List.of(),
        target("JettyServerApp", "keystore"), List.of("--tls", "keystore",
            "--keystore", pki.clientKeyStore().toString(), "--password", PASSWORD));
    assertThat(run.awaitExit(RUN)).as(run.report()).isEqualTo(1);
    assertThat(run.stdout()).as(run.report())
        .containsPattern("(?m)^FAIL javax\\.net\\.ssl\\.SSLHandshakeException: .*$");
  }

  private void start(String server, String mode, List<String> jvmArgs, List<String> tlsArgs) {
    List<String> args = new ArrayList<>(List.of("--port", "0", "--bind", "127.0.0.1"));
    args.addAll(tlsArgs);
    String name = server + "-" + mode;
    servers.put(name, AppProcess.start(classpath, dir, name, jvmArgs, server, args));
  }

  private String target(String server, String mode) {
    int port = ports.get(server + "-" + mode);
    if (server.equals("GrpcServerApp")) {
      return "localhost:" + port;
    }
    return (mode.equals("plain") ? "http" : "https") + "://localhost:" + port + "/compat";
  }

  private AppProcess runClient(String serverName, String client, List<String> jvmArgs,
      String target, List<String> tlsArgs) {
    List<String> args = new ArrayList<>();
    args.add(client.equals("GrpcClientApp") ? "--target" : "--url");
    args.add(target);
    args.addAll(List.of("--requests", "4", "--concurrency", "2", "--timeout-ms", "20000"));
    args.addAll(tlsArgs);
    String name = client + "-to-" + serverName + "-" + Integer.toHexString(args.hashCode());
    AppProcess run = AppProcess.start(classpath, dir, name, jvmArgs, client, args);
    run.awaitExit(RUN);
    return run;
  }

  private static void assertAllOk(AppProcess run, String serverPeer, String clientPeer) {
    int exit = run.awaitExit(RUN);
    String report = run.report();
    assertThat(exit).as(report).isZero();
    List<String> lines = REQUEST_LINE.matcher(run.stdout()).results()
        .map(java.util.regex.MatchResult::group).toList();
    assertThat(lines).as(report).hasSize(4).allSatisfy(line -> assertThat(line).isIn(
        "OK status=200 server_peer=" + serverPeer + " body=peer=" + clientPeer,
        "OK status=OK server_peer=" + serverPeer + " body=peer=" + clientPeer));
    assertThat(run.stdout()).as(report)
        .containsPattern("(?m)^SUMMARY ok=4 failed=0 p50_us=\\d+ p99_us=\\d+ .*$");
  }

  /** The JVM's standard properties naming a key store and the test trust store. */
  private List<String> jvmDefaults(Path keyStore) {
    return List.of("-Djavax.net.ssl.keyStore=" + keyStore,
        "-Djavax.net.ssl.keyStorePassword=" + PASSWORD,
        "-Djavax.net.ssl.keyStoreType=PKCS12",
        "-Djavax.net.ssl.trustStore=" + pki.trustStore(),
        "-Djavax.net.ssl.trustStorePassword=" + PASSWORD);
  }
}
