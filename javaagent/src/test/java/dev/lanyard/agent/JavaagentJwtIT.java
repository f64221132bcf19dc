package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JWT-SVIDs sent by the javaagent from the four HTTP clients, against real SPIRE: what reaches a
 * server that records every Authorization header it receives, checked by the SPIRE Agent's own
 * validator ({@code spire-agent api validate jwt}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaagentJwtIT {
  private static final Duration JWT_TTL = Duration.ofSeconds(10);
  private static final Pattern RECEIVED =
      Pattern.compile("RECEIVED method=\\S+ host=\\S+ path=(\\S+) authorization=(.*)");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10))
      .jwtTtl(JWT_TTL).build();

  @org.junit.jupiter.api.io.TempDir
  static Path dir;

  private Workload caller;
  private Server https;
  private Server plain;
  private String[] trustTheWebCa;

  @BeforeAll
  void start() throws Exception {
    caller = Workload.register(spire.cluster(), 5201, "/ns/agents/sa/caller");
    caller.awaitSvid(spire.cluster());
    TestPki pki = TestPki.create("public-ca");
    TestPki.Issued web = pki.server("localhost", List.of("localhost"), List.of("127.0.0.1"));
    Path keystore = write(dir.resolve("server.p12"), web.keyStore("changeit".toCharArray()));
    Path truststore = write(dir.resolve("trust.p12"), pki.trustStore());
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    trustTheWebCa = new String[] {"-Djavax.net.ssl.trustStore=" + truststore,
        "-Djavax.net.ssl.trustStorePassword=changeit"};
    // The recording servers run without the javaagent: an ordinary HTTPS API and a plain one.
    https = Mesh.server(spire.cluster(), null, "RecordingServerApp", Map.of(),
        "--tls", "keystore", "--keystore", keystore.toString(), "--password", "changeit");
    plain = Mesh.server(spire.cluster(), null, "RecordingServerApp", Map.of(), "--tls", "plain");
  }

  @AfterAll
  void stop() {
    for (Server server : new Server[] {https, plain}) {
      if (server != null) {
        server.close();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"JdkHttpClientApp", "HttpsUrlConnectionApp", "OkHttpClientApp",
      "ApacheHttpClientApp"})
  void eachClientSendsAJwtSvidThatTheSpireAgentAccepts(String app) {
    String audience = "api-" + app.toLowerCase();
    ClientRun run = client(app, "https://localhost:" + https.port() + "/" + app, 2,
        env("localhost=" + audience));

    assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=2 failed=0");
    List<String> tokens = bearerTokens(received(https, "/" + app));
    assertThat(tokens).as(https.process().output()).hasSize(2);
    for (String token : new LinkedHashSet<>(tokens)) {
      Command.Result spireSays = spire.cluster().validateJwt(audience, token);
      assertThat(spireSays.ok()).as(spireSays.output()).isTrue();
      assertThat(spireSays.output()).contains(caller.spiffeId()).contains(audience);
    }
    List<JsonNode> sends = AuditRecords.in(run.output(), AuditRecords.action("jwt.send"));
    assertThat(sends).as(run.output()).hasSize(2);
    for (JsonNode record : sends) {
      assertThat(record.path("result").asText()).isEqualTo("allowed");
      assertThat(record.path("spiffe_id").asText()).isEqualTo(caller.spiffeId());
      assertThat(record.path("audience").asText()).isEqualTo(audience);
      assertThat(record.path("resource").asText()).isEqualTo("localhost:" + https.port());
      assertThat(record.path("reason").asText()).isNotBlank();
      AuditRecords.assertAttestation(record);
    }
    for (String token : tokens) {
      assertThat(run.output()).as("the token is never in the workload's output")
          .doesNotContain(token.substring(token.lastIndexOf('.') + 1));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"JdkHttpClientApp", "HttpsUrlConnectionApp", "OkHttpClientApp",
      "ApacheHttpClientApp"})
  void noTokenReachesANonMatchingHostOrPlainHttpAndTheAppsOwnHeaderIsKept(String app) {
    Map<String, String> env = env("localhost=api");
    ClientRun otherHost = client(app, "https://127.0.0.1:" + https.port() + "/" + app + "-other",
        1, env);
    ClientRun clearText = client(app, "http://localhost:" + plain.port() + "/" + app + "-plain",
        1, env);
    ClientRun own = client(app, "https://localhost:" + https.port() + "/" + app + "-own", 1, env,
        "--header", "Authorization=Basic b3duOmhlYWRlcg==");

    for (ClientRun run : List.of(otherHost, clearText, own)) {
      assertThat(run.output()).as(run.toString()).contains("SUMMARY ok=1 failed=0");
    }
    assertThat(received(https, "/" + app + "-other")).containsExactly("none");
    assertThat(received(plain, "/" + app + "-plain")).containsExactly("none");
    assertThat(received(https, "/" + app + "-own")).containsExactly("Basic b3duOmhlYWRlcg==");
    assertThat(AuditRecords.in(otherHost.output(), AuditRecords.action("jwt.send"))).isEmpty();
    assertThat(AuditRecords.in(own.output(), AuditRecords.action("jwt.send"))).isEmpty();
    JsonNode refused = AuditRecords.assertOneRefusal(clearText.output(), "jwt.send", null);
    assertThat(refused.path("reason").asText()).contains("plain HTTP");
    assertThat(refused.path("resource").asText()).isEqualTo("localhost:" + plain.port());
  }

  @Test
  void tokensRotateAndRequestsAcrossSeveralRefreshesAllSucceed() throws Exception {
    String path = "/rotation";
    Map<String, String> env = env("localhost=rotating");
    Set<String> validated = new LinkedHashSet<>();
    List<String> problems = new ArrayList<>();
    String output;
    int exit;
    try (JvmProcess process = Mesh.app("OkHttpClientApp", spire.cluster(), caller,
        "OkHttpClientApp", env, "--url", "https://localhost:" + https.port() + path,
        "--requests", "10", "--interval-ms", "2000", "--tls", "default")
        .jvmArg(trustTheWebCa).start()) {
      // Validate every new token as soon as it arrives: with a 10 s TTL, later would be too late.
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (process.isAlive() && System.nanoTime() < deadline) {
        validateNew(received(https, path), "rotating", validated, problems);
        Thread.sleep(300);
      }
      exit = process.awaitExit(Duration.ofSeconds(30));
      output = process.output();
    }
    validateNew(received(https, path), "rotating", validated, problems);

    assertThat(exit).as(output).isZero();
    assertThat(output).contains("SUMMARY ok=10 failed=0");
    assertThat(problems).as(output).isEmpty();
    assertThat(received(https, path)).hasSize(10);
    assertThat(validated).as("distinct JWT-SVIDs over ~20 s with a 10 s TTL")
        .hasSizeGreaterThanOrEqualTo(3);
  }

  private void validateNew(List<String> authorizations, String audience, Set<String> validated,
      List<String> problems) {
    for (String authorization : authorizations) {
      if (!authorization.startsWith("Bearer ")) {
        problems.add("a request arrived without a JWT-SVID: authorization=" + authorization);
        continue;
      }
      String token = authorization.substring("Bearer ".length());
      if (validated.add(token)) {
        Command.Result spireSays = spire.cluster().validateJwt(audience, token);
        if (!spireSays.ok() || !spireSays.output().contains(caller.spiffeId())) {
          problems.add(spireSays.output());
        }
      }
    }
  }

  private ClientRun client(String app, String url, int requests, Map<String, String> env,
      String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("--url", url, "--requests",
        Integer.toString(requests), "--tls", "default"));
    args.addAll(List.of(extraArgs));
    try (JvmProcess process = Mesh.app(app, spire.cluster(), caller, app, env,
        args.toArray(String[]::new)).jvmArg(trustTheWebCa).start()) {
      return new ClientRun(app, process.awaitExit(Duration.ofSeconds(90)), process.output());
    }
  }

  private static Map<String, String> env(String jwtAudiences) {
    Map<String, String> env = new HashMap<>(AuditRecords.DOWNWARD_API);
    env.put("LANYARD_JWT_AUDIENCES", jwtAudiences);
    env.put("LANYARD_AUDIT", "all");
    return env;
  }

  /** The Authorization values the server received for {@code path}, in order. */
  private static List<String> received(Server server, String path) {
    List<String> values = new ArrayList<>();
    Matcher matcher = RECEIVED.matcher(server.process().output());
    while (matcher.find()) {
      if (matcher.group(1).equals(path)) {
        values.add(matcher.group(2).trim());
      }
    }
    return values;
  }

  private static List<String> bearerTokens(List<String> authorizations) {
    List<String> tokens = new ArrayList<>();
    for (String value : authorizations) {
      assertThat(value).startsWith("Bearer ");
      tokens.add(value.substring("Bearer ".length()));
    }
    return tokens;
  }

  private static Path write(Path file, java.security.KeyStore store) throws Exception {
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, "changeit".toCharArray());
    }
    return file;
  }
}
