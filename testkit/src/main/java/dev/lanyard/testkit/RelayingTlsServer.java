package dev.lanyard.testkit;

import dev.lanyard.testkit.TestPki.Issued;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS server presenting {@code material}, relaying each connection whose handshake completed
 * to a plain backend (so an accepting client gets a real answer, over HTTP/1.1 or, for gRPC,
 * HTTP/2 chosen by ALPN).
 */
public final class RelayingTlsServer implements AutoCloseable {
  private final SSLServerSocket listener;
  private final InetSocketAddress backend;
  private final boolean http2;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final AtomicInteger relayed = new AtomicInteger();

  /** Relays HTTP/1.1 only. */
  public RelayingTlsServer(Issued material, InetSocketAddress backend) throws IOException {
    this(material, backend, false);
  }

  public RelayingTlsServer(Issued material, InetSocketAddress backend, boolean http2) throws IOException {
    this.backend = backend;
    this.http2 = http2;
    this.listener = (SSLServerSocket) material.presentingContext().getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "bad-tls-server-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return listener.getLocalPort();
  }

  public int relayed() {
    return relayed.get();
  }

  /** How handshakes on this side ended when they failed (for failure messages). */
  public List<String> errors() {
    return errors;
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        SSLSocket socket = (SSLSocket) listener.accept();
        open.add(socket);
        Thread connection = new Thread(() -> serve(socket), "bad-tls-connection");
        connection.setDaemon(true);
        connection.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(SSLSocket socket) {
    try {
      socket.setHandshakeApplicationProtocolSelector((engine, offered) ->
          http2 && offered.contains("h2") ? "h2"
              : offered.contains("http/1.1") ? "http/1.1" : "");
      socket.startHandshake();
      // A TLS 1.3 client judges the server before its Finished: reading proves it accepted.
      InputStream in = socket.getInputStream();
      int first = in.read();
      if (first < 0) {
        socket.close();
        return;
      }
      relayed.incrementAndGet();
      Socket upstream = new Socket(backend.getAddress(), backend.getPort());
      open.add(upstream);
      upstream.getOutputStream().write(first);
      pump(upstream.getInputStream(), socket.getOutputStream(), socket, upstream);
      pump(in, upstream.getOutputStream(), upstream, socket);
    } catch (IOException refused) {
      errors.add(refused.toString());
      closeQuietly(socket);
    }
  }

  private static void pump(InputStream from, OutputStream to, Socket... both) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16384];
      try {
        int n;
        while ((n = from.read(buffer)) >= 0) {
          to.write(buffer, 0, n);
          to.flush();
        }
      } catch (IOException ended) {
        // one side closed
      } finally {
        for (Socket socket : both) {
          closeQuietly(socket);
        }
      }
    }, "bad-tls-pump");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() {
    closeQuietly(listener);
    open.forEach(RelayingTlsServer::closeQuietly);
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
