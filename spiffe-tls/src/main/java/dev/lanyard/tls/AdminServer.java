package dev.lanyard.tls;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The admin endpoint over the JDK's built-in HTTP server (no web server library in the
 * workload's JVM). Read-only; see {@link AdminEndpoints} for what it answers.
 */
public final class AdminServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private AdminServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code address} and serves {@code endpoints}.
   *
   * @throws IOException when the address cannot be bound (e.g. port in use)
   */
  static AdminServer start(InetSocketAddress address, AdminEndpoints endpoints) throws IOException {
    HttpServer server = HttpServer.create(address, 16);
    ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.factory("lanyard-admin"));
    server.setExecutor(executor);
    server.createContext("/", exchange -> serve(exchange, endpoints));
    startOnDaemonThread(server);
    return new AdminServer(server, executor);
  }

  /**
   * The JDK HTTP server's dispatcher thread inherits the daemon flag of the thread that calls
   * {@code start()} (sun.net.httpserver.ServerImpl). Started from the workload's main thread it
   * would be a user thread and keep the JVM alive after main returns, so start it from a daemon.
   */
  private static void startOnDaemonThread(HttpServer server) {
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    Thread starter = DaemonThreads.factory("lanyard-admin-start").newThread(() -> {
      try {
        server.start();
      } catch (RuntimeException e) {
        failure.set(e);
      }
    });
    starter.start();
    try {
      starter.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  private static void serve(HttpExchange exchange, AdminEndpoints endpoints) throws IOException {
    try {
      AdminEndpoints.Response response = endpoints.handle(exchange.getRequestMethod(),
          exchange.getRequestURI().getPath(), exchange.getRequestURI().getRawQuery());
      exchange.getResponseHeaders().set("Content-Type", response.contentType);
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if (response.status == 405) {
        exchange.getResponseHeaders().set("Allow", "GET");
      }
      exchange.sendResponseHeaders(response.status, response.body.length == 0 ? -1 : response.body.length);
      try (OutputStream body = exchange.getResponseBody()) {
        body.write(response.body);
      }
    } catch (RuntimeException e) {
      LanyardLog.warn("admin endpoint failed on " + exchange.getRequestURI() + ": " + e);
      exchange.sendResponseHeaders(500, -1);
    } finally {
      exchange.close();
    }
  }

  /** The bound address (the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
