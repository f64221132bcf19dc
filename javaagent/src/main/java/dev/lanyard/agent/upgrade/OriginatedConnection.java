package dev.lanyard.agent.upgrade;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.DaemonThreads;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.LanyardTls;
import dev.lanyard.tls.PeerDecision;
import dev.lanyard.tls.PlaintextConnections;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One application connection to an upgraded destination, on its own thread. A connection the
 * application itself starts with a TLS record (its own {@code https://}, already Lanyard's mTLS)
 * is relayed as is. Any other is carried as mTLS: the SVID is presented and the server's is
 * judged by the trust manager for the host the application named (mesh destination, secure
 * naming {@code LANYARD_SERVER_IDS}, {@code LANYARD_ALLOWED_PEERS}, with its {@code tls.connect}
 * record). A server refused by that decision is never called in clear text. A server that does
 * not complete a TLS handshake at all (not injected yet) is called in clear text on a permissive
 * port (counted and recorded: a downgrade an on-path attacker can force) and not at all on a
 * strict one. An HTTP application that is refused gets a 502 whose body is the reason.
 */
final class OriginatedConnection {
  /**
   * How long the application's first byte may take (it tells the application's own TLS, relayed
   * as is, from plaintext); a cold JVM can take over a second (see {@link
   * ConnectionHandler#FIRST_BYTE_WAIT}). After it the connection is carried as mTLS anyway.
   */
  static final Duration FIRST_BYTE_WAIT = Duration.ofSeconds(10);
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  private static final int TLS_HANDSHAKE_RECORD = 0x16;

  /** Starts connections; one per JVM. */
  static final class Factory {
    private final Supplier<SSLContext> context;
    private final Supplier<PlaintextConnections> plaintext;
    private final ExecutorService threads =
        Executors.newCachedThreadPool(DaemonThreads.factory("lanyard-originate"));

    Factory(Supplier<SSLContext> context, Supplier<PlaintextConnections> plaintext) {
      this.context = context;
      this.plaintext = plaintext;
    }

    void start(Socket app, String host, InetSocketAddress destination, UpgradeModes.Mode mode) {
      try {
        threads.execute(() -> new OriginatedConnection(this, app, host, destination, mode).run());
      } catch (RuntimeException e) {
        ConnectionHandler.closeQuietly(app);
      }
    }
  }

  private final Factory factory;
  private final Socket app;
  private final String host;
  private final InetSocketAddress destination;
  private final UpgradeModes.Mode mode;

  private OriginatedConnection(Factory factory, Socket app, String host,
      InetSocketAddress destination, UpgradeModes.Mode mode) {
    this.factory = factory;
    this.app = app;
    this.host = host;
    this.destination = destination;
    this.mode = mode;
  }

  private String target() {
    return host + ":" + destination.getPort();
  }

  private void run() {
    try {
      app.setSoTimeout((int) FIRST_BYTE_WAIT.toMillis());
      PushbackInputStream fromApp = new PushbackInputStream(app.getInputStream(), 1);
      int first;
      try {
        first = fromApp.read();
      } catch (SocketTimeoutException e) {
        first = -2;
      }
      if (first == -1) {
        ConnectionHandler.closeQuietly(app);
        return;
      }
      if (first >= 0) {
        fromApp.unread(first);
      }
      app.setSoTimeout(0);
      if (first == TLS_HANDSHAKE_RECORD) {
        relay(connectPlain(), fromApp);
        return;
      }
      Socket upstream = connectPlain();
      SSLSocket tls;
      try {
        tls = handshake(upstream);
      } catch (IOException e) {
        ConnectionHandler.closeQuietly(upstream);
        if (refusedByTrust(e)) {
          refuse(fromApp, first, "lanyard: refused outbound mTLS to " + target() + ": "
              + rootMessage(e));
          return;
        }
        PeerDecision decision = factory.plaintext.get().recordOutbound(host, destination.getPort(),
            mode == UpgradeModes.Mode.PERMISSIVE, rootMessage(e));
        if (mode != UpgradeModes.Mode.PERMISSIVE) {
          refuse(fromApp, first, decision.refusalMessage());
          return;
        }
        LanyardLog.debug(decision.reason());
        relay(connectPlain(), fromApp);
        return;
      }
      relay(tls, fromApp);
    } catch (IOException | RuntimeException e) {
      LanyardLog.debug("connection to " + target() + " ended: " + e);
      ConnectionHandler.closeQuietly(app);
    }
  }

  private Socket connectPlain() throws IOException {
    return OutboundUpgrades.direct(() -> {
      Socket socket = new Socket();
      try {
        socket.connect(destination, (int) CONNECT_TIMEOUT.toMillis());
        socket.setTcpNoDelay(true);
        return socket;
      } catch (IOException e) {
        socket.close();
        throw e;
      }
    });
  }

  private SSLSocket handshake(Socket upstream) throws IOException {
    SSLSocket tls = (SSLSocket) factory.context.get().getSocketFactory()
        .createSocket(upstream, host, destination.getPort(), true);
    SSLParameters parameters = tls.getSSLParameters();
    parameters.setProtocols(enabled(tls.getSupportedProtocols()));
    if (!Character.isDigit(host.charAt(0)) && host.indexOf(':') < 0) {
      parameters.setServerNames(Collections.singletonList(new SNIHostName(host)));
    }
    tls.setSSLParameters(parameters);
    upstream.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
    tls.startHandshake();
    upstream.setSoTimeout(0);
    return tls;
  }

  /** Whether the handshake failed because the trust decision refused the server. */
  private static boolean refusedByTrust(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof CertificateException) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }

  private void refuse(PushbackInputStream fromApp, int first, String message) {
    LanyardLog.warn(message);
    if (first >= 'A' && first <= 'Z') {
      HttpRefusal.answer(app, fromApp, "502 Bad Gateway", message);
    }
    ConnectionHandler.closeQuietly(app);
  }

  private void relay(Socket upstream, PushbackInputStream fromApp) {
    Relay relay = new Relay(upstream, app);
    factory.threads.execute(() -> relay.copy(Relay.Direction.TO_LOCAL));
    relay.copy(fromApp, Relay.Direction.TO_REMOTE);
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
}
