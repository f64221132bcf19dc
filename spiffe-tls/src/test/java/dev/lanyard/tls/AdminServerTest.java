package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
      assertThat(threads).filteredOn(t -> t.getName().startsWith("HTTP-Dispatcher")
              || t.getName().startsWith("lanyard-admin"))
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
}
