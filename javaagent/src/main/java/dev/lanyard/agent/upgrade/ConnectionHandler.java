package dev.lanyard.agent.upgrade;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.DaemonThreads;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.LanyardTls;
import dev.lanyard.tls.PeerDecision;
import dev.lanyard.tls.PlaintextConnections;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One accepted connection on an upgraded port, on its own thread: the first byte tells TLS (a
 * handshake record, 0x16) from plaintext. TLS is terminated here with the workload's SVID,
 * demanding the client's (the trust manager authorizes it by SPIFFE ID, with its audit record
 * and metrics), then relayed in clear to the application's loopback port. Plaintext is relayed
 * as is on a permissive port and refused on a strict one (an HTTP request gets a 403 naming the
 * reason), counted and recorded either way ({@link PlaintextConnections}).
 */
public final class ConnectionHandler {
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  /**
   * TLS, HTTP and gRPC clients speak first, but a cold client JVM on a busy node can take more
   * than a second between its connect and its ClientHello (measured: a fresh JDK HttpClient
   * under load); taken for plaintext, it would get an HTTP 400 in clear text. So the wait is the
   * handshake timeout, and a server-speaks-first protocol on a permissive port is served only
   * after it: such ports should stay off.
   */
  static final Duration FIRST_BYTE_WAIT = HANDSHAKE_TIMEOUT;
  static final Duration APP_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Connections open at once across every upgraded port (two threads each). */
  static final int MAX_CONNECTIONS = 2048;
  private static final int TLS_HANDSHAKE_RECORD = 0x16;

  private final Supplier<SSLContext> context;
  private final Supplier<PlaintextConnections> plaintext;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(DaemonThreads.factory("lanyard-upgrade"));
  private final Semaphore open = new Semaphore(MAX_CONNECTIONS);
  private final Set<String> refusedSources = ConcurrentHashMap.newKeySet();

  public ConnectionHandler(Supplier<SSLContext> context, PlaintextConnections plaintext) {
    this(() -> plaintext, context);
  }

  /**
   * As the constructor; {@code plaintext} is asked at the first plaintext connection: the
   * javaagent builds this handler before main, before the metrics and audit log it counts into
   * exist.
   */
  public static ConnectionHandler deferred(Supplier<SSLContext> context,
      Supplier<PlaintextConnections> plaintext) {
    return new ConnectionHandler(plaintext, context);
  }

  private ConnectionHandler(Supplier<PlaintextConnections> plaintext,
      Supplier<SSLContext> context) {
    this.context = context;
    this.plaintext = plaintext;
  }

  void handle(Socket connection, int port, UpgradeModes.Mode mode, int appPort) {
    if (!open.tryAcquire()) {
      LanyardLog.warn("port " + port + ": closed a connection from "
          + connection.getRemoteSocketAddress() + ": " + MAX_CONNECTIONS
          + " connections are open on Lanyard's mTLS listeners already");
      closeQuietly(connection);
      return;
    }
    try {
      threads.execute(() -> {
        try {
          serve(connection, port, mode, appPort);
        } finally {
          open.release();
        }
      });
    } catch (RuntimeException e) {
      open.release();
      closeQuietly(connection);
    }
  }

  private void serve(Socket connection, int port, UpgradeModes.Mode mode, int appPort) {
    try {
      boolean strict = mode == UpgradeModes.Mode.STRICT;
      connection.setSoTimeout((int) FIRST_BYTE_WAIT.toMillis());
      PushbackInputStream in = new PushbackInputStream(connection.getInputStream(), 1);
      int first;
      try {
        first = in.read();
      } catch (SocketTimeoutException e) {
        // Silent client: on a permissive port a server-speaks-first protocol, so plaintext.
        first = strict ? -1 : -2;
      }
      if (first == -1) {
        closeQuietly(connection);
        return;
      }
      if (first == TLS_HANDSHAKE_RECORD) {
        serveTls(connection, port, appPort);
        return;
      }
      if (first >= 0) {
        in.unread(first);
      }
      servePlaintext(connection, in, port, strict, appPort, first);
    } catch (IOException | RuntimeException e) {
      LanyardLog.debug("port " + port + ": connection from " + connection.getRemoteSocketAddress()
          + " ended: " + e);
      closeQuietly(connection);
    }
  }

  private void serveTls(Socket connection, int port, int appPort) throws IOException {
    SSLSocket tls = (SSLSocket) context.get().getSocketFactory().createSocket(connection,
        new ByteArrayInputStream(new byte[] {TLS_HANDSHAKE_RECORD}), true);
    try {
      tls.setUseClientMode(false);
      tls.setNeedClientAuth(true);
      tls.setEnabledProtocols(enabled(tls.getSupportedProtocols()));
      connection.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
      // A refused peer fails here; the trust manager wrote its audit record and metrics.
      tls.startHandshake();
      connection.setSoTimeout(0);
    } catch (IOException e) {
      String refusal = trustRefusal(e);
      if (refusal != null && refusedSources.add(port + " tls " + connection.getInetAddress())) {
        // The audit record names the peer and the rule; this line says it once per source.
        LanyardLog.warn(refusal.replaceFirst("^lanyard: ", "") + " (logged once per port and"
            + " source; every refusal has an audit record)");
      } else {
        LanyardLog.debug("port " + port + ": TLS from " + connection.getRemoteSocketAddress()
            + " failed: " + e);
      }
      closeQuietly(tls);
      return;
    }
    relay(tls, tls.getInputStream(), appPort);
  }

  /** The trust manager's refusal message when it refused the peer, else null. */
  static String trustRefusal(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof java.security.cert.CertificateException) {
        return String.valueOf(cause.getMessage());
      }
    }
    return null;
  }

  private void servePlaintext(Socket connection, InputStream in, int port, boolean strict,
      int appPort, int first) throws IOException {
    InetSocketAddress source = (InetSocketAddress) connection.getRemoteSocketAddress();
    String sourceIp = source.getAddress().getHostAddress();
    PeerDecision decision = plaintext.get().record(port, sourceIp, source.getPort(), !strict);
    if (!strict) {
      connection.setSoTimeout(0);
      relay(connection, in, appPort);
      return;
    }
    if (refusedSources.add(port + " " + sourceIp)) {
      LanyardLog.warn(decision.reason() + " (logged once per port and source; every refusal"
          + " has an audit record and is counted in lanyard_plaintext_connections_total)");
    }
    if (first >= 'A' && first <= 'Z') {
      HttpRefusal.answer(connection, in, "403 Forbidden", decision.refusalMessage());
    }
    closeQuietly(connection);
  }

  private void relay(Socket client, InputStream clientIn, int appPort) throws IOException {
    Socket app = new Socket();
    try {
      app.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), appPort),
          (int) APP_CONNECT_TIMEOUT.toMillis());
      app.setTcpNoDelay(true);
      client.setTcpNoDelay(true);
    } catch (IOException e) {
      LanyardLog.warn("the application's port 127.0.0.1:" + appPort + " cannot be reached: "
          + e + "; closed the connection from " + client.getRemoteSocketAddress());
      closeQuietly(app);
      closeQuietly(client);
      return;
    }
    Relay relay = new Relay(client, app);
    threads.execute(() -> relay.copy(Relay.Direction.TO_REMOTE));
    relay.copy(clientIn, Relay.Direction.TO_LOCAL);
  }

  private static String[] enabled(String[] supported) {
    List<String> enabled = new ArrayList<>();
    for (String protocol : LanyardTls.PROTOCOLS) {
      if (Arrays.asList(supported).contains(protocol)) {
        enabled.add(protocol);
      }
    }
    return enabled.toArray(new String[0]);
  }

  static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
