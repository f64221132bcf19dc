package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * JWT-SVIDs through real sidecars on real SPIRE. A caller's sidecar (outbound proxy, {@code
 * LANYARD_JWT_AUDIENCES=localhost=api,127.0.0.2=api}, mesh hosts {@code localhost} and {@code
 * 127.0.0.1}) reaches an API's sidecar ({@code LANYARD_INBOUND_JWT_AUDIENCE=api}) in front of a
 * Python app that answers with the headers it received. The Python client sets its own
 * Authorization header to present hand-made tokens ({@code spire-server jwt mint}): the caller's
 * sidecar keeps it, so each refusal is the API sidecar's own. {@code 127.0.0.1} is a mesh host
 * without a JWT audience: requests there carry no token unless the client sets one.
 */
class SidecarJwtIT {
  static final Duration JWT_TTL = Duration.ofSeconds(12);
  static final String API_ID = "spiffe://lanyard.test/ns/jwt/sa/api";
  static final String CALLER_ID = "spiffe://lanyard.test/ns/jwt/sa/caller";
  static final String STRANGER_ID = "spiffe://lanyard.test/ns/jwt/sa/stranger";
  static final String FOREIGN_ID = "spiffe://foreign.test/ns/f/sa/outsider";
  static final int API_GID = 6501;
  static final int CALLER_GID = 6502;
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(5))
      .jwtTtl(JWT_TTL).build();

  @RegisterExtension
  static final SpireExtension foreign = SpireExtension.builder().trustDomain("foreign.test")
      .svidTtl(Duration.ofMinutes(5)).build();

  static TempDir dir;
  static ManagedProcess app;
  static ManagedProcess plainApp;
  static JvmProcess api;
  static JvmProcess caller;
  static String apiAdmin;
  static int mesh;
  static int proxy;
  static int plainPort;
  static String expiredToken;
  static Instant expiredAt;

  @BeforeAll
  static void start() {
    spire.cluster().register(API_ID, "unix:gid:" + API_GID);
    spire.cluster().register(CALLER_ID, "unix:gid:" + CALLER_GID);
    dir = TempDir.create("lanyard-sidecar-jwt-");
    int appPort = FreePorts.next();
    mesh = FreePorts.next();
    proxy = FreePorts.next();
    plainPort = FreePorts.next();
    app = Python.app(dir, appPort);
    plainApp = Python.app(dir, "127.0.0.2", plainPort);
    // Minted first: the expiry test then waits the least.
    expiredToken = mint(spire.cluster()::serverCli, CALLER_ID, "api", "1s");
    expiredAt = Instant.now().plusSeconds(1);
    spire.cluster().awaitSvidForGid(API_GID, API_ID, Duration.ofSeconds(30));
    spire.cluster().awaitSvidForGid(CALLER_GID, CALLER_ID, Duration.ofSeconds(30));
    SidecarProcess apiProcess = SidecarProcess.builder("api-sidecar", API_GID, spire.cluster())
        .env("LANYARD_INBOUND", mesh + ":" + appPort)
        .env("LANYARD_INBOUND_JWT_AUDIENCE", "api")
        .env("LANYARD_ALLOWED_PEERS", CALLER_ID);
    apiAdmin = apiProcess.env("LANYARD_ADMIN_ADDRESS");
    api = apiProcess.start();
    caller = SidecarProcess.builder("caller-sidecar", CALLER_GID, spire.cluster())
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxy)
        .env("LANYARD_MESH_HOSTS", "localhost,127.0.0.1")
        .env("LANYARD_JWT_AUDIENCES", "localhost=api,127.0.0.2=api")
        .env("LANYARD_ALLOWED_PEERS", API_ID)
        .env("LANYARD_AUDIT", "all")
        .start();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {caller, api, plainApp, app, dir}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
  }

  @Test
  void theCallersSidecarSendsAJwtSvidTheSpireAgentAcceptsAndTheAppSeesItsSubject() {
    int sendsBefore = records(caller, action("jwt.send").and(allowed())).size();

    Reply reply = get("http://localhost:" + mesh + "/hello");

    assertThat(reply.status).as(reply.raw).isEqualTo(200);
    assertThat(reply.header("X-Lanyard-Jwt-Subject")).isEqualTo(CALLER_ID);
    String token = bearer(reply.header("Authorization"));
    Command.Result spireSays = spire.cluster().validateJwt("api", token);
    assertThat(spireSays.ok()).as(spireSays.output()).isTrue();
    assertThat(spireSays.output()).contains(CALLER_ID);
    List<JsonNode> sends = records(caller, action("jwt.send").and(allowed()));
    assertThat(sends).hasSize(sendsBefore + 1);
    JsonNode send = sends.get(sends.size() - 1);
    assertThat(send.path("spiffe_id").asText()).isEqualTo(CALLER_ID);
    assertThat(send.path("audience").asText()).isEqualTo("api");
    assertThat(send.path("resource").asText()).isEqualTo("localhost:" + mesh);
    assertThat(caller.output()).doesNotContain(token);
    assertThat(api.output()).doesNotContain(token);
  }

  @Test
  void aSpoofedSubjectHeaderNeverReachesTheApp() {
    Reply reply = get("http://localhost:" + mesh + "/", "X-Lanyard-Jwt-Subject: spiffe://lanyard.test/evil",
        "x-lanyard-jwt-subject: spiffe://lanyard.test/evil2");

    assertThat(reply.status).as(reply.raw).isEqualTo(200);
    assertThat(reply.headerValues("X-Lanyard-Jwt-Subject")).containsExactly(CALLER_ID);
    assertThat(reply.raw).doesNotContain("evil");
  }

  @Test
  void theAppsOwnAuthorizationHeaderIsKept() {
    String own = mint(spire.cluster()::serverCli, CALLER_ID, "api", "300s");

    Reply reply = get("http://localhost:" + mesh + "/", "Authorization: Bearer " + own);

    assertThat(reply.status).as(reply.raw).isEqualTo(200);
    assertThat(bearer(reply.header("Authorization"))).isEqualTo(own);
    assertThat(reply.header("X-Lanyard-Jwt-Subject")).isEqualTo(CALLER_ID);
  }

  @Test
  void noTokenToAPlainNonMeshHostEvenWhenItMatchesAnAudience() {
    int refusalsBefore = records(caller, action("jwt.send").and(denied())).size();

    Reply reply = get("http://127.0.0.2:" + plainPort + "/");

    assertThat(reply.status).as(reply.raw).isEqualTo(200);
    assertThat(reply.header("Authorization")).isNull();
    List<JsonNode> refusals = records(caller, action("jwt.send").and(denied()));
    assertThat(refusals).hasSize(refusalsBefore + 1);
    assertThat(refusals.get(refusals.size() - 1).path("reason").asText()).contains("plain HTTP");
  }

  @Test
  void refusesARequestWithoutToken() {
    // 127.0.0.1 is a mesh host but matches no LANYARD_JWT_AUDIENCES glob: no token is added.
    assertRefused("http://127.0.0.1:" + mesh + "/", "missing_token", null);
  }

  @Test
  void refusesATokenForAnotherAudience() {
    String token = mint(spire.cluster()::serverCli, CALLER_ID, "not-api", "300s");
    assertRefused("http://127.0.0.1:" + mesh + "/", "wrong_audience", CALLER_ID,
        "Authorization: Bearer " + token);
  }

  @Test
  void refusesAnExpiredToken() throws InterruptedException {
    // exp plus the validator's 10 s clock-skew allowance, plus a margin.
    Duration left = Duration.between(Instant.now(), expiredAt.plusSeconds(12));
    if (!left.isNegative()) {
      Thread.sleep(left.toMillis());
    }
    assertRefused("http://127.0.0.1:" + mesh + "/", "expired", CALLER_ID,
        "Authorization: Bearer " + expiredToken);
  }

  @Test
  void refusesATokenSignedByAForeignTrustDomain() {
    String token = mint(foreign.cluster()::serverCli, FOREIGN_ID, "api", "300s");
    JsonNode record = assertRefused("http://127.0.0.1:" + mesh + "/", "unknown_trust_domain",
        FOREIGN_ID, "Authorization: Bearer " + token);
    assertThat(record.path("peer_verified").asBoolean(true)).isFalse();
  }

  @Test
  void refusesASubjectOutsideTheAllowedPeers() {
    String token = mint(spire.cluster()::serverCli, STRANGER_ID, "api", "300s");
    JsonNode record = assertRefused("http://127.0.0.1:" + mesh + "/", "allowed_peers",
        STRANGER_ID, "Authorization: Bearer " + token);
    assertThat(record.path("reason").asText()).contains(STRANGER_ID);
  }

  @Test
  void tokensRotateAndEveryRequestAcrossSeveralRefreshesSucceeds() throws InterruptedException {
    Set<String> tokens = new LinkedHashSet<>();
    long end = System.nanoTime() + JWT_TTL.multipliedBy(2).toNanos();
    int requests = 0;
    while (System.nanoTime() < end) {
      Reply reply = get("http://localhost:" + mesh + "/rotation");
      assertThat(reply.status).as("request %d: %s", requests, reply.raw).isEqualTo(200);
      assertThat(reply.header("X-Lanyard-Jwt-Subject")).isEqualTo(CALLER_ID);
      tokens.add(bearer(reply.header("Authorization")));
      requests++;
      Thread.sleep(1000);
    }
    assertThat(tokens).as("distinct JWT-SVIDs in %d requests over two %s lifetimes", requests, JWT_TTL)
        .hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void nonHttpTrafficIsRefusedOnAPortThatRequiresAJwtSvid() {
    // The caller's own SVID, so that mTLS and the peer policy pass and the bytes are judged.
    Path svid = dir.dir("caller-svid");
    Command.run(Duration.ofSeconds(30), Command.asGid(CALLER_GID, List.of(
        Tools.require("spire-agent").toString(), "api", "fetch", "x509",
        "-socketPath", spire.cluster().agentSocket().toString(), "-write", svid.toString())))
        .orThrow();
    int before = records(api, action("jwt.accept").and(denied())).size();

    String out = Python.client("127.0.0.1:1", Duration.ofSeconds(60), "tls", "127.0.0.1:" + mesh,
        svid.resolve("svid.0.pem").toString(), svid.resolve("svid.0.key").toString(),
        "\u0001raw bytes, not HTTP\n");

    assertThat(out).contains("400").contains("not an HTTP/1.1 request on mesh port " + mesh);
    List<JsonNode> refusals = records(api, action("jwt.accept").and(denied()));
    assertThat(refusals).hasSize(before + 1);
    assertThat(refusals.get(refusals.size() - 1).path("rule").asText()).isEqualTo("missing_token");
    assertThat(app.output()).doesNotContain("raw bytes");
  }

  /** One 401 naming the rule, and exactly one matching audit record on stderr and in /audit. */
  private static JsonNode assertRefused(String url, String rule, String peer, String... headers) {
    Predicate<JsonNode> refusal = action("jwt.accept").and(denied());
    int before = records(api, refusal).size();
    int keptBefore = kept(refusal).size();

    Reply reply = get(url, headers);

    assertThat(reply.status).as(reply.raw).isEqualTo(401);
    assertThat(reply.raw).contains(rule).doesNotContain("Exception").doesNotContain("\tat ");
    List<JsonNode> onStderr = records(api, refusal);
    assertThat(onStderr).as("jwt.accept refusals in:\n%s", api.output()).hasSize(before + 1);
    JsonNode record = onStderr.get(onStderr.size() - 1);
    assertThat(record.path("rule").asText()).isEqualTo(rule);
    assertThat(record.path("reason").asText()).isNotBlank();
    assertThat(record.path("audience").asText()).isEqualTo("api");
    if (peer == null) {
      assertThat(record.has("peer_spiffe_id")).as(record.toString()).isFalse();
    } else {
      assertThat(record.path("peer_spiffe_id").asText()).isEqualTo(peer);
    }
    assertThat(reply.raw).contains(record.path("reason").asText());
    AuditRecords.assertAttestation(record);
    List<JsonNode> kept = kept(refusal);
    assertThat(kept).as("/audit keeps exactly the one new refusal").hasSize(keptBefore + 1);
    assertThat(kept.get(kept.size() - 1)).isEqualTo(record);
    return record;
  }

  // --- helpers ---

  interface Cli {
    Command.Result run(String... args);
  }

  private static String mint(Cli cli, String spiffeId, String audience, String ttl) {
    String output = cli.run("jwt", "mint", "-spiffeID", spiffeId, "-audience", audience, "-ttl", ttl)
        .orThrow().trim();
    String[] lines = output.split("\\R");
    return lines[lines.length - 1].trim();
  }

  private static String bearer(String authorization) {
    assertThat(authorization).startsWith("Bearer ");
    return authorization.substring("Bearer ".length());
  }

  private static Predicate<JsonNode> action(String action) {
    return node -> action.equals(node.path("action").asText());
  }

  private static Predicate<JsonNode> allowed() {
    return node -> node.path("result").asText().equals("allowed");
  }

  private static Predicate<JsonNode> denied() {
    return node -> node.path("result").asText().equals("denied");
  }

  private static List<JsonNode> records(JvmProcess process, Predicate<JsonNode> filter) {
    return parse(process.output()).stream().filter(filter).collect(Collectors.toList());
  }

  /** Every audit record (a JSON line starting {"timestamp") in {@code text}; each must parse. */
  private static List<JsonNode> parse(String text) {
    List<JsonNode> records = new ArrayList<>();
    for (String line : text.split("\\R")) {
      int start = line.indexOf("{\"timestamp\"");
      if (start < 0) {
        continue;
      }
      try {
        records.add(JSON.readTree(line.substring(start)));
      } catch (IOException e) {
        throw new UncheckedIOException("audit line is not JSON: " + line, e);
      }
    }
    return records;
  }

  /** The records the API sidecar's admin endpoint keeps ({@code GET /audit?limit=}). */
  private static List<JsonNode> kept(Predicate<JsonNode> filter) {
    return parse(httpGet("http://" + apiAdmin + "/audit?limit=512")).stream().filter(filter)
        .collect(Collectors.toList());
  }

  private static String httpGet(String url) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A GET through the caller's sidecar with these extra headers. */
  private static Reply get(String url, String... headers) {
    List<String> args = new ArrayList<>(List.of("headers", url));
    args.addAll(List.of(headers));
    return new Reply(Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60),
        args.toArray(String[]::new)));
  }

  /** The Python client's output: the status, and the headers the app echoed (if it answered). */
  static final class Reply {
    private static final Pattern STATUS = Pattern.compile("status (\\d+)");
    final String raw;
    final int status;
    final Map<String, List<String>> headers;

    Reply(String raw) {
      this.raw = raw;
      Matcher matcher = STATUS.matcher(raw);
      this.status = matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
      this.headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      int json = raw.indexOf('{');
      if (status == 200 && json >= 0) {
        try {
          JsonNode body = JSON.readTree(raw.substring(json));
          body.path("headers").fields().forEachRemaining(field -> headers
              .computeIfAbsent(field.getKey(), k -> new ArrayList<>()).add(field.getValue().asText()));
        } catch (IOException e) {
          throw new UncheckedIOException("app answer is not JSON: " + raw, e);
        }
      }
    }

    String header(String name) {
      List<String> values = headers.get(name);
      return values == null ? null : values.get(0);
    }

    List<String> headerValues(String name) {
      return headers.getOrDefault(name, List.of());
    }
  }
}
