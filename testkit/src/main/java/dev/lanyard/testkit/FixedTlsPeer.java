package dev.lanyard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS peer that presents fixed material (an SVID exported before a CA rotation, say) whatever
 * the current trust is, both ways: {@link #get} is one HTTP/1.1 request as a client, and an
 * instance is a server answering every request with 200. Lanyard must judge it like any peer.
 */
public final class FixedTlsPeer implements AutoCloseable {
  private final SSLServerSocket listener;
  private final AtomicInteger served = new AtomicInteger();

  /** Serves {@code svid} on 127.0.0.1 (port chosen by the system) until closed. */
  public FixedTlsPeer(TestPki.Issued svid) throws IOException {
    listener = (SSLServerSocket) svid.presentingContext().getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "fixed-tls-peer");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** {@code https://localhost:<port>/hello}, for clients that take a URL. */
  public String url() {
    return "https://localhost:" + port() + "/hello";
  }

  /** Requests answered (each one's handshake was accepted by the client). */
  public int served() {
    return served.get();
  }

  /**
   * {@code GET /hello} to {@code 127.0.0.1:port} (SNI localhost) presenting what {@code context}
   * presents: the response, or {@code exception ...} when the exchange failed.
   */
  public static String get(SSLContext context, int port) {
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory()
        .createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(List.of(new SNIHostName("localhost")));
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      socket.getOutputStream().write(("GET /hello HTTP/1.1\r\nHost: localhost\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "exception " + e;
    }
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try (SSLSocket socket = (SSLSocket) listener.accept()) {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        int b;
        while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0) {
          head.append((char) b);
        }
        if (!head.toString().endsWith("\r\n\r\n")) {
          continue;
        }
        served.incrementAndGet();
        OutputStream out = socket.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            + "Connection: close\r\n\r\nok").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException refused) {
        // the client refused our certificate, or the listener closed
      }
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
