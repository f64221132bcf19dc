package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.earlytls.EarlyCaptureApp;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lanyard fails closed where it enforces: a fault injected into each hook type of the real
 * javaagent (a test-only build of the jar, {@link FaultyAgentJar}), in a real JVM with an SVID
 * from real SPIRE, refuses mesh calls (never Web PKI in Lanyard's place) and logs one ERROR line
 * per failing hook; a failure to start stops the JVM with exit code 70 under {@code then=fail}
 * and under the default startup policy. Each case runs under both.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HookFailureIT {
  /** The explicit policy and the default one (LANYARD_STARTUP unset), which is then=fail too. */
  private static final List<String> FAIL_POLICIES = List.of("wait=20s,then=fail", "");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private Path faultyJar;
  private Workload server;
  private Workload client;
  private Server jetty;
  private Server grpc;
  private Server recording;

  @BeforeAll
  void setUp() throws Exception {
    faultyJar = FaultyAgentJar.build(Mesh.AGENT_JAR, Files.createTempDirectory("faulty-agent"));
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5201, "/ns/mesh/sa/server");
    client = Workload.register(cluster, 5202, "/ns/mesh/sa/client");
    server.awaitSvid(cluster);
    client.awaitSvid(cluster);
    jetty = Mesh.server(cluster, server, "JettyServerApp", Map.of());
    grpc = Mesh.server(cluster, server, "GrpcServerApp", Map.of());
    recording = Mesh.server(cluster, server, "RecordingServerApp", Map.of());
  }

  @AfterAll
  void tearDown() {
    for (Server running : new Server[] {jetty, grpc, recording}) {
      if (running != null) {
        running.close();
      }
    }
  }

  static Stream<Arguments> clientHooks() {
    List<Arguments> cases = new ArrayList<>();
    for (String policy : FAIL_POLICIES) {
      cases.add(Arguments.of("keyManagers", "JdkHttpClientApp", policy));
      cases.add(Arguments.of("trustManagers", "JdkHttpClientApp", policy));
      cases.add(Arguments.of("onSslContextInitialized", "HttpsUrlConnectionApp", policy));
      cases.add(Arguments.of("isAuthorizedSpiffePeer", "OkHttpClientApp", policy));
      cases.add(Arguments.of("beforeNettySslContextBuild", "GrpcClientApp", policy));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} fails in {1}, LANYARD_STARTUP=\"{2}\"")
  @MethodSource("clientHooks")
  void aFailingClientHookRefusesTheMeshCallWithOneLine(String hook, String app, String policy) {
    Server target = app.startsWith("Grpc") ? grpc : jetty;
    ClientRun run = faultyClient(app, app.startsWith("Grpc") ? target.target() : target.httpsUrl(),
        3, policy, Map.of(), hook);

    // (a client that cannot even be built, as gRPC's without its SslContext, fails once)
    assertThat(run.output()).as(run.toString())
        .doesNotContain("OK status=")
        .containsPattern("SUMMARY ok=0 failed=" + (app.startsWith("Grpc") ? 1 : 3) + " ");
    assertOneErrorLine(run, hook);
    if (hook.equals("trustManagers") || hook.equals("onSslContextInitialized")) {
      // The refusal names the peer, the direction and the hook, in the application's exception.
      assertThat(run.output()).contains("lanyard: refused outbound peer " + server.spiffeId()
          + " at localhost:" + target.port() + ": Lanyard's " + hook + " hook failed");
    }
    if (hook.equals("beforeNettySslContextBuild")) {
      assertThat(run.output()).contains("lanyard: refused to build this Netty SslContext");
    }
  }

  @ParameterizedTest(name = "LANYARD_STARTUP=\"{0}\"")
  @MethodSource("policies")
  void twoFailingHooksAreTwoLinesEachLoggedOnce(String policy) {
    ClientRun run = faultyClient("OkHttpClientApp", jetty.httpsUrl(), 3, policy, Map.of(),
        "keyManagers", "trustManagers");

    assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=0 failed=3");
    assertOneErrorLine(run, "keyManagers");
    assertOneErrorLine(run, "trustManagers");
  }

  @ParameterizedTest(name = "LANYARD_STARTUP=\"{0}\"")
  @MethodSource("policies")
  void aFailingClientAuthHookStillDemandsAClientCertificate(String policy) {
    // Set up as a one-way TLS service: only the javaagent's hook makes it demand the client's SVID.
    try (Server faulty = faultyServer("JettyServerApp", policy, "requireClientCertificate")) {
      // openssl presents no certificate and does not stop at an unverifiable server, so only the
      // server's own demand can refuse it.
      Command.Result openssl = Command.run(Duration.ofSeconds(30), "bash", "-c",
          "printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | openssl s_client -quiet -connect 127.0.0.1:"
              + faulty.port());
      ClientRun mesh = Mesh.client(spire.cluster(), client, "JdkHttpClientApp", faulty.httpsUrl(),
          1, Map.of());

      assertThat(openssl.output()).as(openssl.output()).doesNotContain("peer=");
      assertThat(mesh.output()).as(mesh.toString()).contains("SUMMARY ok=1 failed=0");
      assertOneErrorLine(new ClientRun("JettyServerApp", 0, faulty.process().output()),
          "requireClientCertificate");
    }
  }

  @ParameterizedTest(name = "LANYARD_STARTUP=\"{0}\"")
  @MethodSource("policies")
  void aFailingSniHookLetsJettyRefuseTheSniHost(String policy) {
    try (Server faulty = faultyServer("JettyServerApp", policy, "isOwnSvid")) {
      ClientRun mesh = Mesh.client(spire.cluster(), client, "JdkHttpClientApp", faulty.httpsUrl(),
          1, Map.of());

      assertThat(mesh.output()).as(mesh.toString()).doesNotContain("status=200");
      assertOneErrorLine(new ClientRun("JettyServerApp", 0, faulty.process().output()),
          "isOwnSvid");
    }
  }

  static Stream<Arguments> jwtHooks() {
    List<Arguments> cases = new ArrayList<>();
    for (String policy : FAIL_POLICIES) {
      cases.add(Arguments.of("jdkHttpRequest", "JdkHttpClientApp", policy));
      cases.add(Arguments.of("urlConnectionHeaders", "HttpsUrlConnectionApp", policy));
      cases.add(Arguments.of("okHttpRequest", "OkHttpClientApp", policy));
      cases.add(Arguments.of("apacheRequest", "ApacheHttpClientApp", policy));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} fails in {1}, LANYARD_STARTUP=\"{2}\"")
  @MethodSource("jwtHooks")
  void aFailingJwtHookSendsNoTokenAndSaysSo(String hook, String app, String policy) {
    int before = recording.process().output().length();
    ClientRun run = faultyClient(app, recording.httpsUrl(), 2, policy,
        Map.of("LANYARD_JWT_AUDIENCES", "localhost=orders"), hook);

    // The mTLS call itself is Lanyard's as ever; the token is what is missing, and the receiver
    // that requires it (the sidecar's LANYARD_INBOUND_JWT_AUDIENCE) refuses the request.
    assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=2 failed=0");
    String received = recording.process().output().substring(before);
    assertThat(received.lines().filter(line -> line.startsWith("RECEIVED ")))
        .as(received).hasSize(2)
        .allMatch(line -> line.endsWith(" authorization=none"));
    assertOneErrorLine(run, hook);
  }

  /**
   * Lanyard only relaxes OkHttp's chain cleaning for an SVID its trust manager accepted. Without
   * the hook OkHttp's own cleaner, which knows no SPIFFE bundle, cannot clean the chain, and
   * OkHttp reports no peer certificates (a pinned call would fail). The calls themselves are
   * Lanyard's mTLS as ever: the server saw the client's SVID, and the client's trust manager,
   * which the fault does not touch, verified the server.
   */
  @ParameterizedTest(name = "LANYARD_STARTUP=\"{0}\"")
  @MethodSource("policies")
  void aFailingChainCleanerHookLeavesOkHttpsOwnStricterAnswer(String policy) {
    ClientRun run = faultyClient("OkHttpClientApp", jetty.httpsUrl(), 3, policy, Map.of(),
        "isAuthorizedSpiffeLeaf");

    assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=3 failed=0 ");
    assertThat(run.output().lines().filter(line -> line.startsWith("OK ")))
        .as(run.toString()).hasSize(3)
        .allMatch(line -> line.contains(" server_peer=none ")
            && line.endsWith(" body=peer=" + client.spiffeId()));
    assertOneErrorLine(run, "isAuthorizedSpiffeLeaf");
    assertThat(run.output()).contains("the application sees no peer certificates");
  }

  static Stream<Arguments> earlyContextHooks() {
    List<Arguments> cases = new ArrayList<>();
    for (String policy : FAIL_POLICIES) {
      cases.add(Arguments.of("adoptManagers", policy));
      cases.add(Arguments.of("onEarlyContextAdopted", policy));
    }
    return cases.stream();
  }

  /**
   * Another javaagent listed before Lanyard's initialises the JVM's default context and a TLS
   * context before Lanyard's hooks exist ({@link EarlyCapturedTlsIT}); the application keeps them
   * and calls a mesh server and a Web PKI server the JVM trusts, on a mesh host. A failing adoption
   * hook leaves those contexts refusing every peer: no mesh call with them, and none to Web PKI.
   */
  @ParameterizedTest(name = "{0} fails, LANYARD_STARTUP=\"{1}\"")
  @MethodSource("earlyContextHooks")
  void aFailingEarlyContextHookRefusesEveryPeerOfTheEarlyContexts(String hook, String policy,
      @TempDir Path dir) throws Exception {
    TestPki webPkiCa = TestPki.create("Lanyard hook-failure test Web PKI");
    Path trustStore = dir.resolve("webpki-ca.p12");
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      webPkiCa.trustStore().store(out, "changeit".toCharArray());
    }
    String output;
    try (EarlyCapturedTlsIT.WebPkiServer webPki = new EarlyCapturedTlsIT.WebPkiServer(
            webPkiCa.server("localhost", List.of("localhost"), List.of("127.0.0.1")));
        JvmProcess app = earlyCaptureClient(hook, policy, dir, trustStore, webPki).start()) {
      app.awaitOutput("DONE reached=", Duration.ofSeconds(60));
      output = app.output();
      assertThat(webPki.requests()).as(output).isZero();
    }

    // Of the eight kept objects, seven are (or come from) the two contexts initialised before the
    // hooks: refused, by managers naming the failed hook. The TLS context the application
    // initialised after the hooks is Lanyard's as ever and reaches the mesh server.
    List<String> meshOk = output.lines()
        .filter(line -> line.startsWith("OK ") && line.contains(" target=mesh ")).toList();
    assertThat(meshOk).as(output).hasSize(1)
        .allMatch(line -> line.contains("capture=static:SSLContext.getInstance(TLS)"));
    assertThat(output).as(output).contains("DONE reached=1/8")
        .contains("Lanyard's " + hook + " hook failed");
    assertThat(output.lines().filter(line -> line.startsWith("OK ")
        && line.contains(" target=webpki "))).as(output).isEmpty();
    assertOneErrorLine(new ClientRun("EarlyCaptureApp", 0, output), hook);
  }

  static Stream<Arguments> startupFaults() {
    List<Arguments> cases = new ArrayList<>();
    for (String policy : FAIL_POLICIES) {
      cases.add(Arguments.of("AgentRuntime.start", policy));
      cases.add(Arguments.of("BootstrapInjector.inject", policy));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} fails, LANYARD_STARTUP=\"{1}\"")
  @MethodSource("startupFaults")
  void aStartFailureStopsTheJvmWithExit70(String fault, String policy) {
    ClientRun run = faultyClient("JdkHttpClientApp", jetty.httpsUrl(), 1, policy, Map.of(), fault);

    assertThat(run.exit()).as(run.toString()).isEqualTo(70);
    assertThat(run.output())
        .contains("lanyard: ERROR javaagent failed to start, stopping the application"
            + " (then=fail, exit 70): java.lang.IllegalStateException: fault injected by the"
            + " test into " + fault)
        .doesNotContain("without Lanyard");
  }

  @Test
  void underDegradeAStartFailureRunsTheApplicationWithoutLanyardAndSaysSo() {
    ClientRun run = faultyClient("JdkHttpClientApp", jetty.httpsUrl(), 1, "wait=20s,then=degrade",
        Map.of(), "AgentRuntime.start");

    assertThat(run.output()).as(run.toString())
        .contains("lanyard: ERROR javaagent failed to start, the application runs WITHOUT"
            + " Lanyard (then=degrade): java.lang.IllegalStateException: fault injected by the"
            + " test into AgentRuntime.start")
        // without Lanyard the mesh server's SVID is judged by Web PKI, which refuses it
        .contains("SUMMARY ok=0 failed=1");
  }

  static Stream<String> policies() {
    return FAIL_POLICIES.stream();
  }

  private static void assertOneErrorLine(ClientRun run, String hook) {
    Pattern line = Pattern.compile("(?m)^lanyard: ERROR the " + hook + " hook failed \\("
        + "java.lang.IllegalStateException: fault injected by the test into AgentTlsHooks\\."
        + hook + "\\); .*$");
    assertThat(line.matcher(run.output()).results().count())
        .as("ERROR lines for %s in %s", hook, run).isEqualTo(1);
  }

  private ClientRun faultyClient(String app, String target, int requests, String policy,
      Map<String, String> env, String... faults) {
    List<String> args = new ArrayList<>(List.of(app.startsWith("Grpc") ? "--target" : "--url",
        target, "--requests", Integer.toString(requests), "--tls", "default"));
    try (JvmProcess process = faulty(app, client, policy, env, faults)
        .args(args.toArray(String[]::new)).start()) {
      return new ClientRun(app, process.awaitExit(Duration.ofSeconds(90)), process.output());
    }
  }

  private Server faultyServer(String app, String policy, String... faults) {
    JvmProcess process = faulty(app, server, policy, Map.of(), faults)
        .args("--port", "0", "--tls", "default", "--client-auth", "none").start();
    try {
      int port = Integer.parseInt(process.awaitOutput("LISTENING port=(\\d+)",
          Duration.ofSeconds(60)).group(1));
      return new Server(app, process, port);
    } catch (RuntimeException e) {
      process.close();
      throw e;
    }
  }

  /** {@link EarlyCaptureApp} behind another javaagent that keeps TLS contexts before Lanyard's. */
  private JvmProcess.Builder earlyCaptureClient(String hook, String policy, Path dir,
      Path trustStore, EarlyCapturedTlsIT.WebPkiServer webPki) throws Exception {
    Path testClasses = Path.of(EarlyCaptureApp.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    return JvmProcess.builder("EarlyCaptureApp-faulty")
        .classpath(testClasses)
        // The other javaagent first, then the faulty Lanyard build.
        .jvmArg("-javaagent:" + EarlyCapturedTlsIT.earlyAgentJar(dir.resolve("early.jar")),
            "-javaagent:" + faultyJar.toAbsolutePath(),
            "-D" + FaultyAgentJar.FAULTS + "=AgentTlsHooks." + hook,
            "-Djavax.net.ssl.trustStore=" + trustStore,
            "-Djavax.net.ssl.trustStorePassword=changeit",
            "-Djavax.net.ssl.trustStoreType=PKCS12",
            "-Dhttp.keepAlive=false")
        .mainClass(EarlyCaptureApp.class.getName())
        .args(jetty.httpsUrl(), webPki.url(), "6")
        .gid(client.gid())
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next())
        .env("LANYARD_STARTUP", policy)
        .env("LANYARD_MESH_HOSTS", "localhost");
  }

  /** A compat app under the faulty javaagent build, failing in {@code faults}. */
  private JvmProcess.Builder faulty(String app, Workload workload, String policy,
      Map<String, String> env, String... faults) {
    Map<String, String> all = new LinkedHashMap<>(env);
    all.put("LANYARD_STARTUP", policy);
    return JvmProcess.builder(app + "-faulty")
        .classpath(Mesh.compatClasspath())
        .mainClass("dev.lanyard.compat." + app)
        .env("SPIFFE_ENDPOINT_SOCKET", spire.cluster().workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next())
        .env(all)
        .gid(workload.gid())
        .javaagent(faultyJar)
        .jvmArg("-D" + FaultyAgentJar.FAULTS + "=" + String.join(",", Stream.of(faults)
            .map(fault -> fault.contains(".") ? fault : "AgentTlsHooks." + fault).toList()));
  }
}
