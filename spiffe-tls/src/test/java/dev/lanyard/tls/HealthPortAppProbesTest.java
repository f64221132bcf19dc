package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The health port runs the probes of {@code LANYARD_APP_PROBES} against the application's real
 * listener (here a JDK HttpServer standing for the app behind the upgrade, found through {@link
 * LanyardTls#appProbeTargets}) and keeps answering {@code /ready} while they run.
 */
class HealthPortAppProbesTest {
  private static final String PROBES = "{"
      + "\"/app-health/app/readyz\":{\"httpGet\":{\"path\":\"/health?deep=1\",\"port\":8080,"
      + "\"scheme\":\"HTTP\",\"httpHeaders\":[{\"name\":\"X-Probe\",\"value\":\"kubelet\"}]},"
      + "\"timeoutSeconds\":2},"
      + "\"/app-health/app/livez\":{\"tcpSocket\":{\"port\":8080},\"timeoutSeconds\":1},"
      + "\"/app-health/app/startupz\":{\"httpGet\":{\"path\":\"/broken\",\"port\":8080},"
      + "\"timeoutSeconds\":1},"
      + "\"/app-health/closed/livez\":{\"tcpSocket\":{\"port\":8081},\"timeoutSeconds\":1},"
      + "\"/app-health/hanging/readyz\":{\"httpGet\":{\"path\":\"/\",\"port\":8082},"
      + "\"timeoutSeconds\":2}}";

  private final TestCa ca = TestCa.root("lanyard.test");
  private final Map<String, String> seenHeaders = new ConcurrentHashMap<>();
  private HttpServer app;
  private ServerSocket hanging;
  private int closedPort;
  private LanyardTls tls;
  private InetSocketAddress health;

  @BeforeEach
  void start() throws Exception {
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    app.createContext("/", exchange -> {
      seenHeaders.put("path", exchange.getRequestURI().toString());
      seenHeaders.put("X-Probe", String.valueOf(exchange.getRequestHeaders().getFirst("X-Probe")));
      seenHeaders.put("User-Agent", String.valueOf(exchange.getRequestHeaders()
          .getFirst("User-Agent")));
      int status = exchange.getRequestURI().getPath().equals("/broken") ? 500 : 204;
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    app.start();
    hanging = new ServerSocket(0, 16, InetAddress.getLoopbackAddress()); // accepts, never answers
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = free.getLocalPort();
    }
    FakeSvidSource source = new FakeSvidSource();
    source.update(ca.svid("spiffe://lanyard.test/ns/a/sa/b"), ca.bundles());
    tls = LanyardTls.builder(LanyardConfig.fromEnv(Map.of("LANYARD_ADMIN_ADDRESS", "off",
            "LANYARD_HEALTH_ADDRESS", "127.0.0.1:0", "LANYARD_APP_PROBES", PROBES),
            new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
    // As the javaagent does: the probe's port is where the kubelet knew the app; the app is here.
    Map<Integer, Integer> moved = Map.of(8080, app.getAddress().getPort(), 8081, closedPort,
        8082, hanging.getLocalPort());
    tls.appProbeTargets(port -> new InetSocketAddress(InetAddress.getLoopbackAddress(),
        moved.get(port)));
    health = tls.healthServer().orElseThrow().address();
  }

  @AfterEach
  void stop() throws Exception {
    tls.close();
    app.stop(0);
    hanging.close();
  }

  @Test
  void anHttpProbeIsTheApplicationsAnswerWithTheProbesPathAndHeaders() throws Exception {
    String answer = get("/app-health/app/readyz");

    assertThat(answer).startsWith("HTTP/1.1 200 ").contains("ok: GET /health?deep=1 on port 8080"
        + " (the application at 127.0.0.1:" + app.getAddress().getPort() + ") answered 204");
    assertThat(seenHeaders).containsEntry("path", "/health?deep=1")
        .containsEntry("X-Probe", "kubelet").containsEntry("User-Agent", "kube-probe/lanyard");
  }

  @Test
  void anApplicationErrorIs503WithItsStatus() throws Exception {
    assertThat(get("/app-health/app/startupz")).startsWith("HTTP/1.1 503 ")
        .contains("failed: GET /broken on port 8080 (the application at 127.0.0.1:"
            + app.getAddress().getPort() + ") answered 500");
  }

  @Test
  void aTcpProbeConnectsAndAClosedPortFails() throws Exception {
    assertThat(get("/app-health/app/livez")).startsWith("HTTP/1.1 200 ")
        .contains("accepted a connection");
    assertThat(get("/app-health/closed/livez")).startsWith("HTTP/1.1 503 ")
        .contains("failed: TCP connect on port 8081 (the application at 127.0.0.1:" + closedPort
            + "): Connection refused");
  }

  @Test
  void unknownPathsAre404AndOtherMethods405() throws Exception {
    assertThat(get("/app-health/other/readyz")).startsWith("HTTP/1.1 404 ")
        .contains("no application probe was moved there");
    assertThat(exchange("POST /app-health/app/readyz HTTP/1.1\r\nHost: x\r\n"
        + "Content-Length: 0\r\n\r\n")).startsWith("HTTP/1.1 405 ");
    assertThat(get("/ready")).startsWith("HTTP/1.1 200 ");
  }

  @Test
  void hangingApplicationProbesTimeOutAndNeverDelayReadyOrEachOther() throws Exception {
    List<CompletableFuture<String>> probes = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // twice as many as the health port has workers
      probes.add(CompletableFuture.supplyAsync(() -> {
        try {
          return get("/app-health/hanging/readyz");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    Thread.sleep(300);

    long started = System.nanoTime();
    String ready = get("/ready");
    String tcp = get("/app-health/app/livez");
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    assertThat(ready).startsWith("HTTP/1.1 200 ");
    assertThat(tcp).startsWith("HTTP/1.1 200 ");
    assertThat(probes).as("still waiting on the application when /ready answered")
        .noneMatch(CompletableFuture::isDone);
    assertThat(tookMillis).isLessThan(1500);
    for (CompletableFuture<String> probe : probes) {
      assertThat(probe.get(10, TimeUnit.SECONDS)).startsWith("HTTP/1.1 503 ")
          .contains("failed: GET / on port 8082 (the application at 127.0.0.1:"
              + hanging.getLocalPort() + ") did not answer within 2s (the probe's timeoutSeconds)");
    }
  }

  private String get(String path) throws Exception {
    return exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  private String exchange(String request) throws Exception {
    try (Socket socket = new Socket(health.getAddress(), health.getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        answer.write(buffer, 0, n);
      }
      return answer.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
