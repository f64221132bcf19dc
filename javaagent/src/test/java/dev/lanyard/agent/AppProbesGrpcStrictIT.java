package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireExtension;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19, item 4, for the kubelet's {@code grpc} probes: a strict upgraded port refuses the
 * kubelet's plaintext, so the webhook moves the probe to the javaagent's health port ({@code
 * LANYARD_APP_PROBES}, set here as the webhook writes it), which runs {@code
 * grpc.health.v1.Health/Check} against the application's own listener behind the upgrade. A real
 * gRPC-java app (plaintext, grpc-services' {@code HealthStatusManager}) under the real javaagent
 * with a real SPIRE; the outbound upgrade is strict on the same port, as in a mesh of strict pods.
 */
class AppProbesGrpcStrictIT {
  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(10)).build();

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theMovedGrpcProbesAskTheAppsHealthServiceAndFailWithTheReason() throws Exception {
    Workload server = Workload.register(spire.cluster(), 5912, "/ns/shop/sa/grpc-orders");
    server.awaitSvid(spire.cluster());
    int port = FreePorts.next();
    int closed = FreePorts.next(); // nothing listens there
    int health = FreePorts.next();
    int control = FreePorts.next();
    try (ServerSocket hanging = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      String probes = "{"
          + "\"/app-health/app/readyz\":{\"grpc\":{\"port\":" + port + ",\"service\":\"\"},"
          + "\"timeoutSeconds\":2},"
          + "\"/app-health/app/livez\":{\"grpc\":{\"port\":" + port
          + ",\"service\":\"orders.v1.Orders\"},\"timeoutSeconds\":2},"
          + "\"/app-health/app/startupz\":{\"grpc\":{\"port\":" + port
          + ",\"service\":\"no.such.Service\"},\"timeoutSeconds\":2},"
          + "\"/app-health/gone/livez\":{\"grpc\":{\"port\":" + closed + "},\"timeoutSeconds\":1},"
          + "\"/app-health/hanging/livez\":{\"grpc\":{\"port\":" + hanging.getLocalPort()
          + "},\"timeoutSeconds\":1}}";
      Map<String, String> env = Mesh.env(
          "LANYARD_UPGRADE_INBOUND", port + "=strict," + closed + "=strict",
          "LANYARD_UPGRADE_OUTBOUND", port + "=strict," + closed + "=strict",
          "LANYARD_HEALTH_ADDRESS", "0.0.0.0:" + health,
          "LANYARD_APP_PROBES", probes);
      try (JvmProcess app = Mesh.app("GrpcHealthServerApp", spire.cluster(), server,
          "GrpcHealthServerApp", env, "--port", Integer.toString(port),
          "--service", "orders.v1.Orders", "--control-port", Integer.toString(control)).start()) {
        app.awaitOutput("LISTENING port=", Duration.ofSeconds(60));
        app.awaitOutput("port " + port + " is served with mTLS by Lanyard \\(strict",
            Duration.ofSeconds(10));

        HttpResponse<String> direct = get(port, "/grpc.health.v1.Health/Check");
        assertThat(direct.statusCode()).as("the kubelet's plaintext on the strict port")
            .isEqualTo(403);

        Mesh.awaitListening(health, Duration.ofSeconds(30));
        HttpResponse<String> ready = get(health, "/app-health/app/readyz");
        assertThat(ready.statusCode()).as(ready.body() + "\n" + app.output()).isEqualTo(200);
        assertThat(ready.body()).startsWith("ok: gRPC health check of service \"\" on port " + port
            + " (the application at 127.0.0.1:").endsWith(") answered SERVING\n")
            .doesNotContain("127.0.0.1:" + port + ")");
        HttpResponse<String> live = get(health, "/app-health/app/livez");
        assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
        assertThat(live.body()).contains("service \"orders.v1.Orders\"").endsWith("SERVING\n");

        assertThat(get(control, "/set?service=orders.v1.Orders&status=NOT_SERVING").statusCode())
            .isEqualTo(200);
        HttpResponse<String> notServing = get(health, "/app-health/app/livez");
        assertThat(notServing.statusCode()).isEqualTo(503);
        assertThat(notServing.body()).startsWith("failed: gRPC health check of service"
            + " \"orders.v1.Orders\" on port " + port + " (the application at 127.0.0.1:")
            .endsWith(") answered NOT_SERVING (only SERVING passes)\n");
        assertThat(get(health, "/app-health/app/readyz").statusCode())
            .as("the server as a whole still serves").isEqualTo(200);

        HttpResponse<String> unknown = get(health, "/app-health/app/startupz");
        assertThat(unknown.statusCode()).isEqualTo(503);
        assertThat(unknown.body()).contains("failed: gRPC health check of service"
            + " \"no.such.Service\" on port " + port).contains(": the application's health service"
            + " does not know service \"no.such.Service\" (NOT_FOUND");

        HttpResponse<String> gone = get(health, "/app-health/gone/livez");
        assertThat(gone.statusCode()).isEqualTo(503);
        assertThat(gone.body()).contains("failed: gRPC health check of service \"\" on port "
            + closed + " (the application at 127.0.0.1:" + closed + "): UNAVAILABLE: cannot"
            + " connect to the application's gRPC server at 127.0.0.1:" + closed)
            .contains("Connection refused");
        HttpResponse<String> silent = get(health, "/app-health/hanging/livez");
        assertThat(silent.statusCode()).isEqualTo(503);
        assertThat(silent.body()).contains("on port " + hanging.getLocalPort())
            .contains("no answer within 1s (the probe's timeoutSeconds)");

        assertThat(get(control, "/set?service=orders.v1.Orders&status=SERVING").statusCode())
            .isEqualTo(200);
        assertThat(get(health, "/app-health/app/livez").statusCode()).as("serving again")
            .isEqualTo(200);
        assertThat(app.output()).doesNotContain("ERROR");
      }
    }
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
