package dev.lanyard.proxy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The plain-HTTP app behind a sidecar's mesh port in the sidecar ITs: answers every request with
 * {@code peer=} and the {@code X-Lanyard-Peer-Id} the sidecar passed it, and counts requests (a
 * refused peer must never reach it). Also the client side: a request through a forward proxy.
 */
public final class PeerIdApp implements AutoCloseable {
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();

  private PeerIdApp() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      byte[] body = ("peer=" + exchange.getRequestHeaders().getFirst("X-Lanyard-Peer-Id"))
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
  }

  public static PeerIdApp start() {
    return new PeerIdApp();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  public int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /**
   * Sends {@code GET http://localhost:<port><path>} through the forward proxy on
   * {@code 127.0.0.1:<proxy>} on a new connection and returns the raw response.
   */
  public static String viaProxy(int proxy, int port, String path) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", proxy)) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(("GET http://localhost:" + port + path + " HTTP/1.1\r\n"
          + "Host: localhost:" + port + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
