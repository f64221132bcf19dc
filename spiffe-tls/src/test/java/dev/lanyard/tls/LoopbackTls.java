package dev.lanyard.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/** Real TLS over loopback for tests: a one-byte echo server and a client that talks to it. */
final class LoopbackTls {
  private LoopbackTls() {}

  /** What the server saw for one connection: the client's first URI SAN, or the failure. */
  static final class Accepted {
    final String peerUri;
    final Exception failure;

    Accepted(String peerUri, Exception failure) {
      this.peerUri = peerUri;
      this.failure = failure;
    }
  }

  /** An echo server on 127.0.0.1 that requires (or not) a client certificate. */
  static final class Server implements AutoCloseable {
    private final SSLServerSocket socket;
    private final BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
    private final Thread thread;

    Server(SSLContext context, boolean needClientAuth) throws IOException {
      socket = (SSLServerSocket) context.getServerSocketFactory()
          .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setNeedClientAuth(needClientAuth);
      parameters.setProtocols(LanyardTls.PROTOCOLS.toArray(String[]::new));
      socket.setSSLParameters(parameters);
      thread = new Thread(this::serve, "loopback-tls-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    /** The next connection's outcome on the server side. */
    Accepted next() throws InterruptedException {
      Accepted result = accepted.poll(20, TimeUnit.SECONDS);
      if (result == null) {
        throw new AssertionError("the server saw no connection within 20 s");
      }
      return result;
    }

    private void serve() {
      while (!socket.isClosed()) {
        try (SSLSocket connection = (SSLSocket) socket.accept()) {
          connection.setSoTimeout(20_000);
          try {
            connection.startHandshake();
            InputStream in = connection.getInputStream();
            OutputStream out = connection.getOutputStream();
            int b = in.read();
            out.write(b);
            out.flush();
            accepted.add(new Accepted(firstUri(connection.getSession()), null));
            in.read(); // wait for the client to close
          } catch (IOException | RuntimeException e) {
            accepted.add(new Accepted(null, e));
          }
        } catch (IOException e) {
          if (!socket.isClosed()) {
            accepted.add(new Accepted(null, e));
          }
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Connects, exchanges one byte, and returns the client's session (throws on failure). */
  static SSLSession call(SSLContext context, String host, int port, boolean verifyHostName)
      throws IOException {
    // Connect to loopback but tell TLS the host name, as a client of "host" would.
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
      socket.setSoTimeout(20_000);
      SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, host, port, true);
      SSLParameters parameters = tls.getSSLParameters();
      parameters.setProtocols(LanyardTls.PROTOCOLS.toArray(String[]::new));
      if (verifyHostName) {
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
      }
      tls.setSSLParameters(parameters);
      tls.startHandshake();
      tls.getOutputStream().write(42);
      tls.getOutputStream().flush();
      int echoed = tls.getInputStream().read();
      if (echoed != 42) {
        throw new IOException("echo failed: " + echoed);
      }
      SSLSession session = tls.getSession();
      tls.close();
      return session;
    } catch (SocketTimeoutException e) {
      throw new IOException("timed out talking to the loopback server", e);
    }
  }

  static String firstUri(SSLSession session) {
    try {
      Certificate[] peer = session.getPeerCertificates();
      List<String> uris = Certificates.uriSans((X509Certificate) peer[0]);
      return uris.isEmpty() ? null : uris.get(0);
    } catch (IOException e) {
      return null;
    }
  }

  /** The whole cause chain's messages, for asserting on what an operator would read. */
  static String causeChain(Throwable error) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = error; t != null; t = t.getCause()) {
      out.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
    }
    return out.toString();
  }
}
