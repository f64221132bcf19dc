package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.agent.Mesh.ClientRun;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.agent.PlaintextUpgradeIT.Upgraded;
import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 19's compatibility matrix of plaintext apps: every plain-HTTP client app calls every
 * plain-HTTP server app over {@code http://}, and the gRPC client the gRPC server on
 * {@code usePlaintext}-style insecure credentials, with no change to either app: the client
 * JVM has {@code LANYARD_UPGRADE_OUTBOUND=<port>=strict}, the server JVM
 * {@code LANYARD_UPGRADE_INBOUND=<port>=strict}. Per pair: the app gets its answer, the client's
 * Lanyard records the server's SPIFFE ID ({@code tls.connect}), the server's Lanyard records this
 * client's own SPIFFE ID ({@code tls.accept}; each client app runs as its own workload), and a
 * relay in the middle sees only TLS records. Each server starts once; its clients run one after
 * the other through one relay. HTTP/1.1 clients against the gRPC server (and the gRPC client
 * against HTTP/1.1 servers) are not pairs: the application protocols differ with or without
 * Lanyard (README, plaintext compatibility table).
 *
 * <p>The mesh host {@code orders.shop} is 127.0.0.1 in each client JVM's hosts file; Reactor
 * Netty resolves with Netty's own DNS client, so it calls this machine's non-loopback address (a
 * mesh destination by the IP address rule), which the relay, on the wildcard address, also serves.
 * The table of outcomes is written to {@code target/plaintext-matrix.md}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlaintextMatrixIT {
  private static final String HOST = "orders.shop";
  static final List<String> HTTP_CLIENTS = List.of("JdkHttpClientApp", "HttpsUrlConnectionApp",
      "OkHttpClientApp", "ApacheHttpClientApp", "ApacheHttpClient4App", "ReactorNettyClientApp");
  static final List<String> HTTP_SERVERS = List.of("JdkHttpsServerApp", "TomcatServerApp",
      "JettyServerApp", "NettyServerApp", "UndertowServerApp");

  @RegisterExtension
  static final SpireExtension spire =
      SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  @TempDir
  static Path dir;

  private Workload server;
  private final Map<String, Workload> clients = new LinkedHashMap<>();
  private final Map<String, String> outcomes = new ConcurrentHashMap<>();
  private String hostsFile;
  private InetAddress nonLoopback;

  @BeforeAll
  void register() throws Exception {
    SpireCluster cluster = spire.cluster();
    server = Workload.register(cluster, 5921, "/ns/shop/sa/orders");
    int gid = 5922;
    List<String> apps = new ArrayList<>(HTTP_CLIENTS);
    apps.add("GrpcClientApp");
    for (String app : apps) {
      clients.put(app, Workload.register(cluster, gid++,
          "/ns/shop/sa/" + app.toLowerCase(Locale.ROOT).replace("app", "")));
    }
    server.awaitSvid(cluster);
    for (Workload client : clients.values()) {
      client.awaitSvid(cluster);
    }
    Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 " + HOST + "\n");
    hostsFile = "-Djdk.net.hosts.file=" + hosts;
    nonLoopback = PlaintextOutboundIT.nonLoopbackAddress();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"JdkHttpsServerApp", "TomcatServerApp", "JettyServerApp",
      "NettyServerApp", "UndertowServerApp"})
  void everyPlainHttpClientCallsThisPlainServerOverMtls(String serverApp) throws Exception {
    runMatrixRow(serverApp, HTTP_CLIENTS);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GrpcServerApp"})
  void thePlaintextGrpcClientCallsThePlaintextGrpcServerOverMtls(String serverApp)
      throws Exception {
    runMatrixRow(serverApp, List.of("GrpcClientApp"));
  }

  /** Starts {@code serverApp} once (strict) and runs each client against it through one relay. */
  private void runMatrixRow(String serverApp, List<String> clientApps) throws Exception {
    SoftAssertions softly = new SoftAssertions();
    try (Upgraded upgraded = Upgraded.start(spire.cluster(), server, serverApp, "strict");
        TlsRecordRelay wire = TlsRecordRelay.start(upgraded.port(),
            InetAddress.getByName("0.0.0.0"))) {
      for (String clientApp : clientApps) {
        Workload client = clients.get(clientApp);
        long recordsBefore = wire.records();
        ClientRun run = call(clientApp, client, target(clientApp, wire.port()), wire.port());
        String context = run + "\nserver:\n" + upgraded.process().output();
        boolean answered = run.output().contains(clientApp.startsWith("Grpc")
            ? "OK status=OK server_peer=none" : "OK status=200 server_peer=none body=peer=none");
        boolean clientSawServer = records(run.output(), "tls.connect").stream()
            .anyMatch(record -> server.spiffeId().equals(record.path("peer_spiffe_id").asText()));
        boolean serverSawClient = records(upgraded.process().output(), "tls.accept").stream()
            .anyMatch(record -> client.spiffeId().equals(record.path("peer_spiffe_id").asText()));
        List<String> violations = wire.violations();
        long records = wire.records() - recordsBefore;
        softly.assertThat(run.exit()).as(serverApp + " <- " + clientApp + " exit\n" + context)
            .isZero();
        softly.assertThat(answered).as(serverApp + " <- " + clientApp + " answered\n" + context)
            .isTrue();
        softly.assertThat(clientSawServer)
            .as(serverApp + " <- " + clientApp + ": client's tls.connect names " + server.spiffeId()
                + "\n" + context).isTrue();
        softly.assertThat(serverSawClient)
            .as(serverApp + " <- " + clientApp + ": server's tls.accept names " + client.spiffeId()
                + "\n" + context).isTrue();
        softly.assertThat(violations).as(serverApp + " <- " + clientApp
            + ": bytes on the wire that were not TLS records").isEmpty();
        softly.assertThat(records).as(serverApp + " <- " + clientApp + ": TLS records relayed")
            .isGreaterThanOrEqualTo(6);
        outcomes.put(serverApp + "|" + clientApp, answered && clientSawServer && serverSawClient
            && violations.isEmpty() && run.exit() == 0 ? "mTLS" : "FAILED");
      }
    }
    softly.assertAll();
  }

  private String target(String clientApp, int port) {
    if (clientApp.startsWith("Grpc")) {
      return HOST + ":" + port;
    }
    String host = clientApp.equals("ReactorNettyClientApp") ? nonLoopback.getHostAddress() : HOST;
    return "http://" + host + ":" + port + "/hello";
  }

  /** Two requests on one client (keep-alive where the library pools connections). */
  private ClientRun call(String app, Workload client, String target, int port) {
    Map<String, String> settings = new LinkedHashMap<>(Mesh.env(
        "LANYARD_UPGRADE_OUTBOUND", port + "=strict", "LANYARD_AUDIT", "all"));
    settings.putAll(AuditRecords.DOWNWARD_API);
    try (JvmProcess process = Mesh.app(app, spire.cluster(), client, app, settings,
        app.startsWith("Grpc") ? "--target" : "--url", target, "--requests", "2",
        "--timeout-ms", "20000", "--tls", "plain").jvmArg(hostsFile).start()) {
      int exit = process.awaitExit(Duration.ofSeconds(90));
      return new ClientRun(app, exit, process.output());
    }
  }

  /** The outcome table, servers as rows (the README's plaintext compatibility table). */
  @AfterAll
  void writeTable() throws Exception {
    List<String> columns = new ArrayList<>(HTTP_CLIENTS);
    columns.add("GrpcClientApp");
    List<String> rows = new ArrayList<>(HTTP_SERVERS);
    rows.add("GrpcServerApp");
    StringBuilder table = new StringBuilder("| server \\ client | ")
        .append(String.join(" | ", columns)).append(" |\n|---|")
        .append(String.join("", Collections.nCopies(columns.size(), "---|"))).append('\n');
    for (String row : rows) {
      table.append("| ").append(row).append(" |");
      for (String column : columns) {
        boolean pair = row.startsWith("Grpc") == column.startsWith("Grpc");
        table.append(' ').append(pair ? outcomes.getOrDefault(row + "|" + column, "not run")
            : "n/a (protocol)").append(" |");
      }
      table.append('\n');
    }
    Path out = Path.of("target/plaintext-matrix.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table.toString());
    System.out.println("PLAINTEXT MATRIX\n" + table);
  }

  private static List<JsonNode> records(String output, String action) {
    List<JsonNode> allowed = new ArrayList<>();
    for (JsonNode record : AuditRecords.in(output, AuditRecords.action(action))) {
      if ("allowed".equals(record.path("result").asText())) {
        allowed.add(record);
      }
    }
    return allowed;
  }
}
