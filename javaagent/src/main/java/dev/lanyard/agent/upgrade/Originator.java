package dev.lanyard.agent.upgrade;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.LanyardLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The loopback listener of one upgraded destination: the application's plain connection lands
 * here and is carried to the destination as mTLS ({@link OriginatedConnection}). Reachable from
 * the pod's own processes only, like the sidecar's outbound proxy.
 */
final class Originator {
  private final ServerSocket listener;
  private final String host;
  private final InetSocketAddress destination;
  private final UpgradeModes.Mode mode;
  private final OriginatedConnection.Factory connections;

  private Originator(ServerSocket listener, String host, InetSocketAddress destination,
      UpgradeModes.Mode mode, OriginatedConnection.Factory connections) {
    this.listener = listener;
    this.host = host;
    this.destination = destination;
    this.mode = mode;
    this.connections = connections;
  }

  static Originator start(String host, InetSocketAddress destination, UpgradeModes.Mode mode,
      OriginatedConnection.Factory connections) {
    ServerSocket listener;
    try {
      listener = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the loopback originator for " + host + ":"
          + destination.getPort(), e);
    }
    Originator originator = new Originator(listener, host, destination, mode, connections);
    Thread accept = new Thread(originator::acceptLoop,
        "lanyard-originate-" + host + ":" + destination.getPort());
    accept.setDaemon(true);
    accept.start();
    LanyardLog.info("plain connections to " + host + ":" + destination.getPort() + " go out as"
        + " mTLS (" + mode.label() + ", LANYARD_UPGRADE_OUTBOUND)");
    return originator;
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  private void acceptLoop() {
    while (true) {
      Socket app;
      try {
        app = listener.accept();
      } catch (IOException e) {
        LanyardLog.warn("the originator for " + host + ":" + destination.getPort()
            + " stopped accepting: " + e);
        return;
      }
      connections.start(app, host, destination, mode);
    }
  }
}
