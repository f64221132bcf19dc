package dev.lanyard.compat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * An HTTP(S) server that records what it received: for each request one stdout line
 * {@code RECEIVED method=<m> host=<Host header> path=<path> authorization=<value or none>}, and
 * answers 200 {@code recorded}. Tests use it to see which requests carried which Authorization
 * header (e.g. a JWT-SVID, which they then validate). {@code --tls plain} serves plain HTTP.
 */
public final class RecordingServerApp {
  private RecordingServerApp() {}

  public static void main(String[] args) throws Exception {
    ServerMain.run("RecordingServerApp", args, RecordingServerApp::start);
  }

  private static int start(ServerMain.Settings settings) throws Exception {
    InetSocketAddress address = new InetSocketAddress(settings.bind(), settings.port());
    HttpServer server;
    if (settings.tls().mode().isTls()) {
      SSLContext context = settings.tls().sslContext();
      boolean needClientAuth = settings.needClientAuth();
      HttpsServer https = HttpsServer.create(address, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(context) {
        @Override
        public void configure(HttpsParameters params) {
          SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
          parameters.setNeedClientAuth(needClientAuth);
          params.setSSLParameters(parameters);
        }
      });
      server = https;
    } else {
      server = HttpServer.create(address, 0);
    }
    server.createContext("/", exchange -> record(settings.app(), exchange));
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    return server.getAddress().getPort();
  }

  private static void record(String app, HttpExchange exchange) throws IOException {
    try (exchange) {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      synchronized (System.out) {
        System.out.println("RECEIVED method=" + exchange.getRequestMethod() + " host="
            + exchange.getRequestHeaders().getFirst("Host") + " path="
            + exchange.getRequestURI().getPath() + " authorization="
            + (authorization == null ? "none" : authorization));
        System.out.flush();
      }
      byte[] body = "recorded".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException | RuntimeException e) {
      ServerMain.error(app, "request failed", e);
      throw e;
    }
  }
}
