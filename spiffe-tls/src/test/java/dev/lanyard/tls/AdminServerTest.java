package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** The admin endpoint over real HTTP, started the way the javaagent and sidecar start it. */
class AdminServerTest {
  private final TestCa ca = TestCa.root("lanyard.test");
  private final HttpClient http = HttpClient.newHttpClient();

  private LanyardTls lanyard(FakeSvidSource source, String adminAddress) {
    return LanyardTls.builder(LanyardConfig.fromEnv(
            Map.of("LANYARD_ADMIN_ADDRESS", adminAddress), new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
  }

  private HttpResponse<String> send(String method, URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesReadinessThatFollowsTheSvid() throws Exception {
    FakeSvidSource source = new FakeSvidSource();
    try (LanyardTls tls = lanyard(source, "127.0.0.1:0")) {
      URI base = URI.create("http://127.0.0.1:" + tls.adminServer().orElseThrow().address().getPort());

      assertThat(send("GET", base.resolve("/ready")).statusCode()).isEqualTo(503);
      source.update(ca.svid("spiffe://lanyard.test/ns/a/sa/b"), ca.bundles());
      HttpResponse<String> ready = send("GET", base.resolve("/ready"));
      HttpResponse<String> identity = send("GET", base.resolve("/identity"));

      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(identity.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(identity.body()).contains("\"spiffe_id\":\"spiffe://lanyard.test/ns/a/sa/b\"");
      assertThat(send("GET", base.resolve("/metrics")).body()).contains("lanyard_rotations_total");
      assertThat(send("GET", base.resolve("/audit?limit=3")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void answers404And405WithAnAllowHeader() throws Exception {
    try (LanyardTls tls = lanyard(new FakeSvidSource(), "127.0.0.1:0")) {
      URI base = URI.create("http://127.0.0.1:" + tls.adminServer().orElseThrow().address().getPort());

      assertThat(send("GET", base.resolve("/secrets")).statusCode()).isEqualTo(404);
      HttpResponse<String> post = send("POST", base.resolve("/identity"));
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("Allow")).contains("GET");
    }
  }

  @Test
  void itsThreadsNeverKeepTheJvmAlive() throws Exception {
    try (LanyardTls tls = lanyard(new FakeSvidSource(), "127.0.0.1:0")) {
      URI base = URI.create("http://127.0.0.1:" + tls.adminServer().orElseThrow().address().getPort());
      send("GET", base.resolve("/ready"));

      Set<Thread> threads = Thread.getAllStackTraces().keySet();
      assertThat(threads).filteredOn(t -> t.getName().startsWith("lanyard-admin"))
          .isNotEmpty()
          .allMatch(Thread::isDaemon);
    }
  }

  @Test
  void offMeansNoServerAndATakenPortDoesNotStopTheWorkload() throws Exception {
    try (LanyardTls off = lanyard(new FakeSvidSource(), "off")) {
      assertThat(off.adminServer()).isEmpty();
    }
    try (LanyardTls first = lanyard(new FakeSvidSource(), "127.0.0.1:0")) {
      int taken = first.adminServer().orElseThrow().address().getPort();
      try (LanyardTls second = lanyard(new FakeSvidSource(), "127.0.0.1:" + taken)) {
        assertThat(second.adminServer()).isEmpty();
      }
    }
  }

  @Test
  void clientsThatSendOneByteAndHoldDelayNobodyAndAreClosedAtTheReadTimeout() throws Exception {
    FakeSvidSource source = new FakeSvidSource();
    source.update(ca.svid("spiffe://lanyard.test/ns/a/sa/b"), ca.bundles());
    Duration timeout = Duration.ofMillis(1500);
    try (LanyardTls tls = lanyard(source, "off");
        AdminServer server = AdminServer.start("lanyard-admin", new InetSocketAddress("127.0.0.1", 0),
            endpoints(tls, source)::handle, timeout)) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 10; i++) {
          Socket socket = new Socket("127.0.0.1", server.address().getPort());
          socket.getOutputStream().write('G');
          socket.getOutputStream().flush();
          held.add(socket);
        }
        long start = System.nanoTime();
        String ready = rawGet(server.address(), "/ready");
        String identity = rawGet(server.address(), "/identity");
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(ready).startsWith("HTTP/1.1 200 ");
        assertThat(identity).startsWith("HTTP/1.1 200 ").contains("spiffe://lanyard.test/ns/a/sa/b");
        assertThat(tookMillis).as("two requests next to 10 held connections").isLessThan(1000);
        for (Socket socket : held) {
          socket.setSoTimeout((int) timeout.toMillis() * 3);
          long waited = System.nanoTime();
          assertThat(socket.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
          assertThat((System.nanoTime() - waited) / 1_000_000).isLessThan(timeout.toMillis() * 2);
        }
      } finally {
        for (Socket socket : held) {
          socket.close();
        }
      }
    }
  }

  @Test
  void moreHeldConnectionsThanTheCapCloseTheOldestAndOthersAreStillServed() throws Exception {
    FakeSvidSource source = new FakeSvidSource();
    try (LanyardTls tls = lanyard(source, "off");
        AdminServer server = AdminServer.start("lanyard-admin", new InetSocketAddress("127.0.0.1", 0),
            endpoints(tls, source)::handle, Duration.ofMinutes(1))) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < AdminServer.MAX_CONNECTIONS + 5; i++) {
          Socket socket = new Socket("127.0.0.1", server.address().getPort());
          socket.getOutputStream().write('G');
          held.add(socket);
        }
        assertThat(rawGet(server.address(), "/ready")).startsWith("HTTP/1.1 503 ");
        held.get(0).setSoTimeout(5_000);
        assertThat(held.get(0).getInputStream().read()).as("the oldest held one is closed").isEqualTo(-1);
      } finally {
        for (Socket socket : held) {
          socket.close();
        }
      }
    }
  }

  @Test
  void anOversizedHeadIsAnswered431AndABadRequestLine400() throws Exception {
    try (LanyardTls tls = lanyard(new FakeSvidSource(), "127.0.0.1:0")) {
      InetSocketAddress address = tls.adminServer().orElseThrow().address();
      String huge = "GET /ready HTTP/1.1\r\nX-Pad: " + "a".repeat(AdminServer.MAX_HEAD_BYTES) + "\r\n\r\n";

      assertThat(exchange(address, huge)).startsWith("HTTP/1.1 431 ");
      assertThat(exchange(address, "GET http://evil/ready HTTP/1.1\r\n\r\n"))
          .startsWith("HTTP/1.1 400 ").contains("bad request line");
    }
  }

  @Test
  void theHealthPortServesReadinessOnlyNextToTheLoopbackAdminEndpoint() throws Exception {
    FakeSvidSource source = new FakeSvidSource();
    source.update(ca.svid("spiffe://lanyard.test/ns/a/sa/b"), ca.bundles());
    try (LanyardTls tls = LanyardTls.builder(LanyardConfig.fromEnv(Map.of(
                "LANYARD_ADMIN_ADDRESS", "127.0.0.1:0", "LANYARD_HEALTH_ADDRESS", "127.0.0.1:0"),
            new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build()) {
      InetSocketAddress health = tls.healthServer().orElseThrow().address();

      assertThat(rawGet(health, "/ready")).startsWith("HTTP/1.1 200 ").doesNotContain("spiffe://");
      for (String path : List.of("/identity", "/audit", "/metrics")) {
        assertThat(rawGet(health, path)).as(path).startsWith("HTTP/1.1 404 ")
            .doesNotContain("spiffe://");
      }
      assertThat(rawGet(tls.adminServer().orElseThrow().address(), "/identity"))
          .startsWith("HTTP/1.1 200 ").contains("spiffe://lanyard.test/ns/a/sa/b");
    }
  }

  private static AdminEndpoints endpoints(LanyardTls tls, FakeSvidSource source) {
    java.time.Clock clock = java.time.Clock.systemUTC();
    return new AdminEndpoints(source, tls.config().peerPolicy(), tls.config().meshHosts(),
        new RecentPeers(clock, 10), tls.auditLog(), tls.metrics(), clock);
  }

  private static String rawGet(InetSocketAddress address, String path) throws Exception {
    return exchange(address, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  /** Writes the request, reads until the server closes (at most 5 s). */
  private static String exchange(InetSocketAddress address, String request) throws Exception {
    try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
      socket.setSoTimeout(5_000);
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
