package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19, item 4: a strict upgraded port refuses the kubelet's plaintext, so the webhook moves
 * the app's probes to the javaagent's health port ({@code LANYARD_APP_PROBES}, set here as the
 * webhook writes it), which runs them against the application's own listener behind the
 * upgrade. A real JVM app (the JDK HttpServer compat app, plain HTTP) under the real javaagent
 * with a real SPIRE.
 */
class AppProbesStrictIT {
  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theMovedProbesReachTheAppWhilePlaintextToTheStrictPortIsRefused() throws Exception {
    Workload server = Workload.register(spire.cluster(), 5911, "/ns/shop/sa/orders");
    server.awaitSvid(spire.cluster());
    int port = FreePorts.next();
    int closed = FreePorts.next(); // nothing listens there
    int health = FreePorts.next();
    String probes = "{"
        + "\"/app-health/app/readyz\":{\"httpGet\":{\"path\":\"/health\",\"port\":" + port
        + ",\"scheme\":\"HTTP\",\"httpHeaders\":[{\"name\":\"X-Probe\",\"value\":\"1\"}]},"
        + "\"timeoutSeconds\":2},"
        + "\"/app-health/app/livez\":{\"tcpSocket\":{\"port\":" + port + "},\"timeoutSeconds\":1},"
        + "\"/app-health/app/startupz\":{\"httpGet\":{\"path\":\"/status/500\",\"port\":" + port
        + ",\"scheme\":\"HTTP\"},\"timeoutSeconds\":1},"
        + "\"/app-health/gone/livez\":{\"tcpSocket\":{\"port\":" + closed + "},"
        + "\"timeoutSeconds\":1}}";
    Map<String, String> env = Mesh.env(
        "LANYARD_UPGRADE_INBOUND", port + "=strict," + closed + "=strict",
        "LANYARD_HEALTH_ADDRESS", "0.0.0.0:" + health,
        "LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next(),
        "LANYARD_APP_PROBES", probes);
    try (JvmProcess app = Mesh.app("JdkHttpsServerApp", spire.cluster(), server,
        "JdkHttpsServerApp", env, "--port", Integer.toString(port), "--tls", "plain").start()) {
      app.awaitOutput("LISTENING port=", Duration.ofSeconds(60));
      app.awaitOutput("port " + port + " is served with mTLS by Lanyard \\(strict",
          Duration.ofSeconds(10));

      HttpResponse<String> direct = get(port, "/health");
      assertThat(direct.statusCode()).as("the kubelet's plaintext on the strict port")
          .isEqualTo(403);
      assertThat(direct.body()).contains("the port is strict (LANYARD_UPGRADE_INBOUND)");

      Mesh.awaitListening(health, Duration.ofSeconds(30));
      HttpResponse<String> ready = get(health, "/app-health/app/readyz");
      assertThat(ready.statusCode()).as(ready.body() + "\n" + app.output()).isEqualTo(200);
      assertThat(ready.body()).startsWith("ok: GET /health on port " + port
          + " (the application at 127.0.0.1:").endsWith(") answered 200\n")
          .doesNotContain("127.0.0.1:" + port + ")");
      HttpResponse<String> live = get(health, "/app-health/app/livez");
      assertThat(live.statusCode()).as(live.body()).isEqualTo(200);

      HttpResponse<String> failing = get(health, "/app-health/app/startupz");
      assertThat(failing.statusCode()).isEqualTo(503);
      assertThat(failing.body()).contains("failed: GET /status/500 on port " + port)
          .endsWith("answered 500\n");
      HttpResponse<String> gone = get(health, "/app-health/gone/livez");
      assertThat(gone.statusCode()).isEqualTo(503);
      assertThat(gone.body()).contains("failed: TCP connect on port " + closed
          + " (the application at 127.0.0.1:" + closed + "): Connection refused");
      assertThat(get(health, "/app-health/other/readyz").statusCode()).isEqualTo(404);
      // Lanyard's own readiness (the SVID) is independent of the moved probes: the runtime starts
      // in the background after main, so under load the SVID may come after the app listens.
      HttpResponse<String> own = get(health, "/ready");
      for (int tries = 0; own.statusCode() != 200 && tries < 150; tries++) {
        Thread.sleep(200);
        own = get(health, "/ready");
      }
      assertThat(own.statusCode()).as(own.body() + "\n" + app.output()).isEqualTo(200);
    }
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
