package dev.lanyard.compat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
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
 * The JDK's own {@code com.sun.net.httpserver.HttpsServer}. TLS comes from an {@link SSLContext}
 * ({@code SSLContext.getDefault()} in default mode) through an {@link HttpsConfigurator} that asks
 * for client certificates ({@code --client-auth none}: the default configurator; {@code
 * parameters}: one that applies the context's default SSLParameters); the peer is read from
 * {@link HttpsExchange#getSSLSession()}.
 *
 * <p>The JDK server logs failed handshakes only through {@code System.Logger} at debug level, so
 * that logger is watched for TLS failures (see {@link OneLineLogging#watchTls}).
 */
public final class JdkHttpsServerApp {
  private JdkHttpsServerApp() {}

  public static void main(String[] args) throws Exception {
    ServerMain.run("JdkHttpsServerApp", args, JdkHttpsServerApp::start);
  }

  private static int start(ServerMain.Settings settings) throws Exception {
    OneLineLogging.watchTls("com.sun.net.httpserver");
    InetSocketAddress address = new InetSocketAddress(settings.bind(), settings.port());
    HttpServer server;
    if (settings.tls().mode().isTls()) {
      HttpsServer https = HttpsServer.create(address, 0);
      https.setHttpsConfigurator(configurator(settings));
      server = https;
    } else {
      server = HttpServer.create(address, 0);
    }
    server.createContext("/", exchange -> respond(settings.app(), exchange));
    // GET /status/<code> answers that status: a health path that fails, for probe tests.
    server.createContext("/status/", exchange -> {
      try (exchange) {
        String code = exchange.getRequestURI().getPath().substring("/status/".length());
        exchange.sendResponseHeaders(code.matches("[1-5][0-9][0-9]") ? Integer.parseInt(code)
            : 400, -1);
      }
    });
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    return server.getAddress().getPort();
  }

  /** The configurator {@code --client-auth} asks for (see {@link ClientAuthSetup}). */
  private static HttpsConfigurator configurator(ServerMain.Settings settings) throws Exception {
    SSLContext context = settings.tls().sslContext();
    return switch (settings.clientAuth()) {
      case NONE -> new HttpsConfigurator(context);
      case PARAMETERS -> new HttpsConfigurator(context) {
        @Override
        public void configure(HttpsParameters params) {
          params.setSSLParameters(context.getDefaultSSLParameters());
        }
      };
      case NEED -> {
        boolean needClientAuth = settings.needClientAuth();
        yield new HttpsConfigurator(context) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
            parameters.setNeedClientAuth(needClientAuth);
            params.setSSLParameters(parameters);
          }
        };
      }
    };
  }

  private static void respond(String app, HttpExchange exchange) throws IOException {
    try (exchange) {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      String peer = exchange instanceof HttpsExchange https
          ? Peers.of(https.getSSLSession()) : Peers.NONE;
      byte[] body = Peers.body(peer).getBytes(StandardCharsets.UTF_8);
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
