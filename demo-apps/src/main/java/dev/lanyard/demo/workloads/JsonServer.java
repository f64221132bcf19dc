package dev.lanyard.demo.workloads;

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
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A JSON-over-HTTP(S) server on the JDK's {@code com.sun.net.httpserver}. The HTTPS variant is what
 * any mTLS service writes: the JVM's default {@link SSLContext} and client certificates required.
 * Answers 400 with the reason for bad input, 405 for anything but POST, 502 when a downstream call
 * failed; never a stack trace.
 */
public final class JsonServer {
  /** Handles one parsed request body. */
  @FunctionalInterface
  public interface Handler {
    Map<String, Object> handle(Request request) throws Exception;
  }

  /**
   * @param callerId the SPIFFE ID of the client certificate ({@code none} on plain HTTP)
   * @param ownId the SPIFFE ID this server presented ({@code none} on plain HTTP)
   */
  public record Request(Map<String, Object> body, String callerId, String ownId) {
    /** A required non-blank string field, else a 400. */
    public String requireText(String field) {
      String value = Json.string(body, field, "");
      if (value.isBlank()) {
        throw new BadRequest("the JSON body needs a non-empty \"" + field + "\" string");
      }
      return value;
    }
  }

  /** Answered 400 with this message. */
  public static final class BadRequest extends RuntimeException {
    public BadRequest(String message) {
      super(message);
    }
  }

  /** Answered 502 with this message: a call this service made failed. */
  public static final class UpstreamFailure extends RuntimeException {
    public UpstreamFailure(String message) {
      super(message);
    }
  }

  private static final int MAX_BODY = 64 * 1024;

  private final HttpServer server;
  private final String scheme;

  private JsonServer(HttpServer server, String scheme) {
    this.server = server;
    this.scheme = scheme;
  }

  /** HTTPS with client certificates required, on all interfaces. */
  public static JsonServer https(int port) throws IOException {
    HttpsServer https = HttpsServer.create(new InetSocketAddress(port), 0);
    SSLContext context;
    try {
      context = SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IOException("no default SSLContext", e);
    }
    https.setHttpsConfigurator(new HttpsConfigurator(context) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
        parameters.setNeedClientAuth(true);
        params.setSSLParameters(parameters);
      }
    });
    return new JsonServer(https, "https");
  }

  /** Plain HTTP, for an entry point that people and ingresses call. */
  public static JsonServer http(int port) throws IOException {
    return new JsonServer(HttpServer.create(new InetSocketAddress(port), 0), "http");
  }

  public JsonServer post(String path, Handler handler) {
    server.createContext(path, exchange -> serve(exchange, handler));
    return this;
  }

  /** Starts serving and prints one line saying where. */
  public void start(String name) {
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println(name + ": listening on " + scheme + " port " + server.getAddress().getPort()
        + (scheme.equals("https") ? " (client certificates required)" : ""));
  }

  private static void serve(HttpExchange exchange, Handler handler) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        send(exchange, 405, Json.object("error", "use POST with a JSON body"));
        return;
      }
      Map<String, Object> body;
      try (InputStream in = exchange.getRequestBody()) {
        byte[] bytes = in.readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) {
          send(exchange, 413, Json.object("error", "body over " + MAX_BODY + " bytes"));
          return;
        }
        body = Json.parseObject(new String(bytes, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        send(exchange, 400, Json.object("error", "the body is not a JSON object: " + e.getMessage()));
        return;
      }
      String caller = SpiffeIds.NONE;
      String own = SpiffeIds.NONE;
      if (exchange instanceof HttpsExchange https) {
        caller = SpiffeIds.peer(https.getSSLSession());
        own = SpiffeIds.local(https.getSSLSession());
      }
      try {
        send(exchange, 200, handler.handle(new Request(body, caller, own)));
      } catch (BadRequest e) {
        send(exchange, 400, Json.object("error", e.getMessage()));
      } catch (UpstreamFailure e) {
        send(exchange, 502, Json.object("error", e.getMessage()));
      } catch (Exception e) {
        System.err.println("request to " + exchange.getRequestURI() + " failed: " + e);
        send(exchange, 500, Json.object("error", "internal error: " + e));
      }
    }
  }

  private static void send(HttpExchange exchange, int status, Map<String, Object> body)
      throws IOException {
    byte[] bytes = (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** An integer environment variable, or {@code fallback}; exits with a clear message if malformed. */
  public static int envPort(String name, int fallback) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a port number, not '" + value + "'");
    }
  }

  /** A required environment variable (a URL, say); fails with its name when it is missing. */
  public static String requireEnv(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is not set");
    }
    return value.trim();
  }
}
