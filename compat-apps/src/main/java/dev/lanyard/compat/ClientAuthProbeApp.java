package dev.lanyard.compat;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Sets up JDK TLS servers every way an application can leave client authentication off
 * (setters, {@code SSLParameters}, in either order, on SSLEngine, SSLSocket, SSLServerSocket,
 * accepted and layered sockets), none asking for client certificates, and prints for each
 * {@code CASE <name> need=<true|false>}: whether the server would demand a client certificate.
 * Under the javaagent every case must say {@code need=true}, except servers on the ports given by
 * {@code --plain-ports A,B} (the test sets LANYARD_PLAIN_PORTS to them), whose names start with
 * {@code exempt.}. Uses {@code SSLContext.getDefault()} and nothing else; no handshake is made.
 */
public final class ClientAuthProbeApp {
  private final SSLContext context;
  private final List<String> lines = new ArrayList<>();

  private ClientAuthProbeApp(SSLContext context) {
    this.context = context;
  }

  public static void main(String[] args) throws Exception {
    AppArgs parsed = AppArgs.parse("ClientAuthProbeApp", args, List.of("plain-ports"), List.of());
    String[] plain = parsed.required("plain-ports").split(",");
    ClientAuthProbeApp probe = new ClientAuthProbeApp(SSLContext.getDefault());
    probe.engines();
    probe.sockets();
    probe.exempt(Integer.parseInt(plain[0].trim()), Integer.parseInt(plain[1].trim()));
    probe.lines.forEach(System.out::println);
    System.out.println("CASES " + probe.lines.size());
  }

  private SSLParameters defaults() {
    return context.getDefaultSSLParameters();
  }

  private void engines() {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    report("engine.server-mode", engine.getNeedClientAuth());

    engine = context.createSSLEngine("localhost", 8443);
    engine.setSSLParameters(defaults());
    engine.setUseClientMode(false);
    report("engine.default-parameters-then-server-mode", engine.getNeedClientAuth());

    // The JDK HttpsServer's order: server mode, then its configurator's SSLParameters.
    engine = context.createSSLEngine("localhost", 8443);
    engine.setUseClientMode(false);
    engine.setSSLParameters(defaults());
    report("engine.server-mode-then-default-parameters", engine.getNeedClientAuth());

    engine = serverEngine();
    engine.setNeedClientAuth(false);
    report("engine.need-false", engine.getNeedClientAuth());

    engine = serverEngine();
    engine.setWantClientAuth(false);
    report("engine.want-false", engine.getNeedClientAuth());

    engine = serverEngine();
    engine.setWantClientAuth(true);
    report("engine.want-true", engine.getNeedClientAuth());

    engine = serverEngine();
    SSLParameters own = engine.getSSLParameters();
    own.setNeedClientAuth(false);
    own.setWantClientAuth(false);
    engine.setSSLParameters(own);
    report("engine.own-parameters-without-client-auth", engine.getNeedClientAuth());

    engine = serverEngine();
    own = engine.getSSLParameters();
    own.setWantClientAuth(true);
    engine.setSSLParameters(own);
    report("engine.own-parameters-want", engine.getNeedClientAuth());

    engine = context.createSSLEngine();
    engine.setUseClientMode(true);
    engine.setSSLParameters(defaults());
    engine.setUseClientMode(false);
    report("engine.client-mode-then-server-mode", engine.getNeedClientAuth());
  }

  private SSLEngine serverEngine() {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    return engine;
  }

  private void sockets() throws Exception {
    try (SSLServerSocket server = sslServerSocket(0)) {
      server.setSSLParameters(defaults());
      report("server-socket.default-parameters", acceptNeed(server, null));
    }
    try (SSLServerSocket server = sslServerSocket(0)) {
      server.setNeedClientAuth(false);
      server.setWantClientAuth(true);
      report("server-socket.want", acceptNeed(server, null));
    }
    try (SSLServerSocket server = sslServerSocket(0)) {
      report("accepted-socket.default-parameters", acceptNeed(server,
          socket -> socket.setSSLParameters(defaults())));
    }
    try (SSLServerSocket server = sslServerSocket(0)) {
      report("accepted-socket.need-false", acceptNeed(server,
          socket -> socket.setNeedClientAuth(false)));
    }
    try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = connect(plain.getLocalPort());
        Socket accepted = plain.accept()) {
      // An SSLSocket in server mode over a connection already read from (SNI routing and the
      // like): no setter is called at all.
      SSLSocket layered = (SSLSocket) context.getSocketFactory()
          .createSocket(accepted, new ByteArrayInputStream(new byte[0]), true);
      report("layered-server-socket", layered.getNeedClientAuth());
      layered.setSSLParameters(defaults());
      report("layered-server-socket.default-parameters", layered.getNeedClientAuth());
    }
    try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = connect(plain.getLocalPort());
        Socket accepted = plain.accept()) {
      SSLSocket layered = (SSLSocket) context.getSocketFactory()
          .createSocket(accepted, "localhost", accepted.getPort(), true);
      layered.setSSLParameters(defaults());
      layered.setUseClientMode(false);
      report("layered-client-socket-turned-server", layered.getNeedClientAuth());
    }
  }

  private void exempt(int plainPort, int otherPlainPort) throws Exception {
    try (SSLServerSocket server = sslServerSocket(plainPort)) {
      server.setSSLParameters(defaults());
      report("exempt.server-socket.default-parameters", acceptNeed(server, null));
    }
    try (SSLServerSocket server =
        (SSLServerSocket) context.getServerSocketFactory().createServerSocket()) {
      // Set up before bind, when the port is not known yet.
      server.setSSLParameters(defaults());
      server.setNeedClientAuth(false);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), otherPlainPort));
      report("exempt.unbound-server-socket", acceptNeed(server, null));
    }
  }

  private SSLServerSocket sslServerSocket(int port) throws Exception {
    return (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(port, 1, InetAddress.getLoopbackAddress());
  }

  /** Accepts one plain TCP connection (no handshake) and reads the accepted socket's setting. */
  private static boolean acceptNeed(SSLServerSocket server, SocketChange change) throws Exception {
    try (Socket client = connect(server.getLocalPort());
        SSLSocket accepted = (SSLSocket) server.accept()) {
      if (change != null) {
        change.apply(accepted);
      }
      return accepted.getNeedClientAuth();
    }
  }

  private static Socket connect(int port) throws Exception {
    return new Socket(InetAddress.getLoopbackAddress(), port);
  }

  private void report(String name, boolean need) {
    lines.add("CASE " + name + " need=" + need);
  }

  @FunctionalInterface
  private interface SocketChange {
    void apply(SSLSocket socket) throws Exception;
  }
}
