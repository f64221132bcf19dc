package dev.lanyard.agent.upgrade;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.LanyardLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Lanyard's listener on a port the application asked for: accepts on its own daemon thread and
 * hands each connection to the {@link ConnectionHandler}, which relays it to the application's
 * loopback port. Accepting starts only once the application's own bind returned (connections
 * arriving before wait in the backlog).
 */
final class UpgradeListener {
  private static final int BACKLOG = 512;

  private final ServerSocket socket;
  private final UpgradeModes.Mode mode;
  private final ConnectionHandler handler;
  private volatile boolean started;
  private volatile int appPort;
  private volatile boolean closed;
  private volatile Thread accepting;

  private UpgradeListener(ServerSocket socket, UpgradeModes.Mode mode,
      ConnectionHandler handler) {
    this.socket = socket;
    this.mode = mode;
    this.handler = handler;
  }

  static UpgradeListener bind(InetSocketAddress address, UpgradeModes.Mode mode,
      ConnectionHandler handler) throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      // As the servers Lanyard stands in for do: a restarted JVM rebinds at once.
      socket.setReuseAddress(true);
      socket.bind(address, BACKLOG);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    return new UpgradeListener(socket, mode, handler);
  }

  int port() {
    return socket.getLocalPort();
  }

  UpgradeModes.Mode mode() {
    return mode;
  }

  /** The application's loopback port behind this listener; 0 before {@link #start}. */
  int appPort() {
    return appPort;
  }

  boolean started() {
    return started;
  }

  synchronized void start(int appPort) {
    if (started || closed) {
      return;
    }
    started = true;
    this.appPort = appPort;
    Thread accept = new Thread(() -> acceptLoop(appPort), "lanyard-upgrade-accept-" + port());
    accept.setDaemon(true);
    accepting = accept;
    accept.start();
  }

  private void acceptLoop(int appPort) {
    int port = port();
    while (!closed) {
      Socket connection;
      try {
        connection = socket.accept();
      } catch (IOException e) {
        if (!closed) {
          LanyardLog.warn("port " + port + ": Lanyard's mTLS listener stopped accepting: " + e);
        }
        return;
      }
      handler.handle(connection, port, mode, appPort);
    }
  }

  /**
   * Closes the listener and returns once the port is free: a socket closed while a thread is
   * blocked in its accept is released only when that thread leaves it, and an application that
   * closes its server and binds the same port again (a connector restart) must not find it taken.
   */
  void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException e) {
      LanyardLog.debug("closing the mTLS listener on " + port() + ": " + e);
    }
    Thread accept = accepting;
    if (accept != null && accept != Thread.currentThread()) {
      try {
        accept.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
