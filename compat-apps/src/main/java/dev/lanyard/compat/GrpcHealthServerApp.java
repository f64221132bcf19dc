package dev.lanyard.compat;

import com.sun.net.httpserver.HttpServer;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A plaintext gRPC-java server (plain grpc-netty, {@code usePlaintext()} clients) serving only the
 * standard health service, grpc-services' {@link HealthStatusManager}: what a gRPC application
 * with a kubelet {@code grpc} probe runs. The server ({@code ""}) and {@code --service} start
 * {@code SERVING}. A control port on loopback ({@code --control-port}) lets a test change them as
 * the application would: {@code GET /set?service=S&status=NOT_SERVING} ({@code setStatus}), {@code
 * GET /clear?service=S} ({@code clearStatus}: the service becomes unknown).
 *
 * <pre>
 * GrpcHealthServerApp --port 9090 [--service orders.v1.Orders] [--control-port 9091]
 * </pre>
 */
public final class GrpcHealthServerApp {
  private static final String APP = "GrpcHealthServerApp";

  private GrpcHealthServerApp() {}

  public static void main(String[] args) throws Exception {
    AppArgs.exitOnUsageError(() -> {
      OneLineLogging.install();
      AppArgs parsed = AppArgs.parse(APP, args, List.of("port", "bind", "service", "control-port"),
          List.of());
      HealthStatusManager health = new HealthStatusManager();
      String service = parsed.get("service", "");
      health.setStatus(service, ServingStatus.SERVING);
      Server server = NettyServerBuilder.forAddress(
              new InetSocketAddress(parsed.get("bind", "0.0.0.0"), parsed.intValue("port", 0)),
              InsecureServerCredentials.create())
          .addService(health.getHealthService())
          .build()
          .start();
      int control = parsed.intValue("control-port", -1);
      if (control >= 0) {
        startControl(control, health);
      }
      System.err.println("INFO " + APP + " plaintext health service, \"\" and \"" + service
          + "\" SERVING, port=" + server.getPort());
      System.out.println("LISTENING port=" + server.getPort());
      System.out.flush();
      new CountDownLatch(1).await();
    });
  }

  private static void startControl(int port, HealthStatusManager health) throws Exception {
    HttpServer control = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8);
    control.createContext("/", exchange -> {
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      String service = query.getOrDefault("service", "");
      String path = exchange.getRequestURI().getPath();
      String answer;
      int status = 200;
      if (path.equals("/set") && query.containsKey("status")) {
        health.setStatus(service, ServingStatus.valueOf(query.get("status")));
        answer = "\"" + service + "\" is " + query.get("status") + "\n";
      } else if (path.equals("/clear")) {
        health.clearStatus(service);
        answer = "\"" + service + "\" is unknown\n";
      } else {
        status = 404;
        answer = "GET /set?service=S&status=NOT_SERVING or /clear?service=S\n";
      }
      System.err.println("INFO " + APP + " control: " + answer.trim());
      byte[] body = answer.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    control.start();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> values = new HashMap<>();
    if (raw == null) {
      return values;
    }
    for (String pair : raw.split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0) {
        values.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
      }
    }
    return values;
  }
}
