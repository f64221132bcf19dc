package dev.lanyard.agent.upgrade;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.LanyardLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLServerSocket;

/**
 * Decides, at each bind of a JDK server socket, whether Lanyard puts an mTLS listener in front of
 * it ({@code LANYARD_UPGRADE_INBOUND}), and keeps each listener tied to the application's socket:
 * the listener binds the port the application asked for, the application binds a loopback
 * ephemeral port, the listener relays to it once that bind returned, and closes with it.
 *
 * <p>Never upgraded: loopback binds (no mesh peer reaches them), port 0 (an ephemeral port is no
 * service port, and the application would report Lanyard's port as its own), TLS server sockets,
 * Lanyard's own ports, and Lanyard's own listeners.
 */
public final class InboundUpgrades {
  private static final ThreadLocal<Boolean> LANYARD_BINDING = new ThreadLocal<>();

  private final UpgradeModes config;
  private final Set<Integer> lanyardPorts;
  private final ConnectionHandler handler;
  private final Map<Object, UpgradeListener> listeners =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private final UnupgradedPorts unupgraded;

  public InboundUpgrades(UpgradeModes config, Set<Integer> lanyardPorts,
      ConnectionHandler handler, UnupgradedPorts unupgraded) {
    this.config = config;
    this.lanyardPorts = Set.copyOf(lanyardPorts);
    this.handler = handler;
    this.unupgraded = unupgraded;
  }

  /**
   * A bind the hook cannot redirect ({@code transport}): said loudly when the port is one this
   * JVM would have upgraded (same rules as {@link #beforeBind}).
   */
  /**
   * Before a bind the hook cannot redirect: a {@code strict} port is refused (it would serve
   * plaintext); other modes bind and are reported by {@link #unhookedBind} once bound.
   */
  public void beforeUnhookedBind(Object server, SocketAddress requested, String transport)
      throws java.net.BindException {
    int port = reportablePort(requested);
    if (port > 0 && config.modeFor(port) == UpgradeModes.Mode.STRICT) {
      throw unupgraded.refused(port, server, transport);
    }
  }

  public void unhookedBind(Object server, SocketAddress requested, String transport) {
    int port = reportablePort(requested);
    if (port <= 0) {
      return;
    }
    UpgradeModes.Mode mode = config.modeFor(port);
    if (mode != UpgradeModes.Mode.OFF) {
      unupgraded.bound(port, mode.label(), server, transport);
    }
  }

  /** The port of {@code requested}, or -1 where no upgrade applies (as in {@link #beforeBind}). */
  private int reportablePort(SocketAddress requested) {
    if (!(requested instanceof InetSocketAddress)) {
      return -1;
    }
    InetSocketAddress address = (InetSocketAddress) requested;
    int port = address.getPort();
    if (port == 0 || address.isUnresolved() || address.getAddress().isLoopbackAddress()
        || lanyardPorts.contains(port)) {
      return -1;
    }
    return port;
  }

  /**
   * The ports of Lanyard's own listeners in this JVM: admin endpoint, health port and metrics
   * port (the webhook sets all three; a {@code *=strict} must not put mTLS in front of the port
   * the kubelet and Prometheus call in plain HTTP).
   */
  public static Set<Integer> lanyardPorts(LanyardConfig config) {
    Set<Integer> ports = new HashSet<>();
    config.adminAddress().ifPresent(address -> ports.add(address.getPort()));
    config.healthAddress().ifPresent(address -> ports.add(address.getPort()));
    config.metricsAddress().ifPresent(address -> ports.add(address.getPort()));
    return ports;
  }

  public SocketAddress beforeBind(Object server, SocketAddress requested) throws IOException {
    if (Boolean.TRUE.equals(LANYARD_BINDING.get()) || server instanceof SSLServerSocket
        || !(requested instanceof InetSocketAddress)) {
      return requested;
    }
    InetSocketAddress address = (InetSocketAddress) requested;
    int port = address.getPort();
    if (port == 0 || address.isUnresolved() || address.getAddress().isLoopbackAddress()
        || lanyardPorts.contains(port)) {
      return requested;
    }
    UpgradeModes.Mode mode = config.modeFor(port);
    if (mode == UpgradeModes.Mode.OFF) {
      return requested;
    }
    UpgradeListener listener = bindListener(address, mode);
    UpgradeListener previous = listeners.put(server, listener);
    if (previous != null) {
      previous.close();
    }
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  private UpgradeListener bindListener(InetSocketAddress address, UpgradeModes.Mode mode)
      throws IOException {
    LANYARD_BINDING.set(Boolean.TRUE);
    try {
      return UpgradeListener.bind(address, mode, handler);
    } finally {
      LANYARD_BINDING.remove();
    }
  }

  public void afterBind(Object server, Throwable failure) {
    UpgradeListener listener = listeners.get(server);
    if (listener == null || listener.started()) {
      return;
    }
    if (failure != null) {
      listeners.remove(server);
      listener.close();
      return;
    }
    int appPort = localPort(server);
    listener.start(appPort);
    LanyardLog.info("port " + listener.port() + " is served with mTLS by Lanyard ("
        + listener.mode().label() + ", LANYARD_UPGRADE_INBOUND); " + server.getClass().getName()
        + " listens on 127.0.0.1:" + appPort + " behind it");
  }

  /**
   * Where the application listens behind Lanyard's listener on {@code port}: its loopback port,
   * which the health port's application probes use ({@code LANYARD_APP_PROBES}); a strict
   * listener would refuse their plaintext. Empty when no upgraded listener serves that port.
   */
  public Optional<InetSocketAddress> appAddress(int port) {
    synchronized (listeners) {
      for (UpgradeListener listener : listeners.values()) {
        if (listener.started() && listener.port() == port && listener.appPort() > 0) {
          return Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(),
              listener.appPort()));
        }
      }
    }
    return Optional.empty();
  }

  public void closed(Object server) {
    UpgradeListener listener = listeners.remove(server);
    if (listener != null) {
      listener.close();
    }
  }

  private static int localPort(Object server) {
    if (server instanceof ServerSocketChannel) {
      try {
        SocketAddress local = ((ServerSocketChannel) server).getLocalAddress();
        return ((InetSocketAddress) local).getPort();
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the local port of " + server, e);
      }
    }
    return ((ServerSocket) server).getLocalPort();
  }
}
