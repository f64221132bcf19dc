package dev.lanyard.agent.upgrade;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.MeshDestinations;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLSocket;

/**
 * Decides, at each plain connect, whether the connection goes out as mTLS ({@code
 * LANYARD_UPGRADE_OUTBOUND}): only to a mesh destination (secure naming: an SVID is an identity
 * only there, {@link MeshDestinations}) on a port whose mode is not off. Such a connection is
 * sent to the {@link Originator} of that destination (host as the application named it, and
 * port), a loopback listener that carries it as mTLS.
 */
public final class OutboundUpgrades {
  private static final ThreadLocal<Boolean> LANYARD_CONNECTING = new ThreadLocal<>();

  private final UpgradeModes config;
  private final MeshDestinations destinations;
  private final OriginatedConnection.Factory connections;
  private final ConcurrentMap<String, Originator> originators = new ConcurrentHashMap<>();
  /** Destinations reached through a transport the hook cannot redirect, already warned about. */
  private final java.util.Set<String> warnedUnhooked = ConcurrentHashMap.newKeySet();
  private final EarlyCounter unhookedConnects = new EarlyCounter(
      "lanyard_outbound_not_upgraded_connects_total",
      "Connections to mesh destinations LANYARD_UPGRADE_OUTBOUND names through a transport"
          + " Lanyard cannot carry as mTLS (netty-epoll, nio2), by result: allowed (sent in clear"
          + " text on a permissive port) or denied (refused on a strict one)",
      "destination", "result", "transport");

  /** {@code context}: Lanyard's listener context; {@code plaintext}: fallbacks counted there. */
  public OutboundUpgrades(UpgradeModes config, MeshDestinations destinations,
      java.util.function.Supplier<javax.net.ssl.SSLContext> context,
      dev.lanyard.tls.PlaintextConnections plaintext) {
    this(config, destinations, () -> plaintext, context);
  }

  /**
   * As the constructor; {@code plaintext} is asked at the first fallback (the javaagent builds
   * this before main, see {@link ConnectionHandler#deferred}).
   */
  public static OutboundUpgrades deferred(UpgradeModes config, MeshDestinations destinations,
      java.util.function.Supplier<javax.net.ssl.SSLContext> context,
      java.util.function.Supplier<dev.lanyard.tls.PlaintextConnections> plaintext) {
    return new OutboundUpgrades(config, destinations, plaintext, context);
  }

  private OutboundUpgrades(UpgradeModes config, MeshDestinations destinations,
      java.util.function.Supplier<dev.lanyard.tls.PlaintextConnections> plaintext,
      java.util.function.Supplier<javax.net.ssl.SSLContext> context) {
    this.config = config;
    this.destinations = destinations;
    this.connections = new OriginatedConnection.Factory(context, plaintext);
  }

  public SocketAddress beforeConnect(Object socket, SocketAddress remote) throws IOException {
    if (Boolean.TRUE.equals(LANYARD_CONNECTING.get()) || socket instanceof SSLSocket
        || !(remote instanceof InetSocketAddress)) {
      return remote;
    }
    InetSocketAddress address = (InetSocketAddress) remote;
    if (address.isUnresolved()) {
      return remote;
    }
    UpgradeModes.Mode mode = config.modeFor(address.getPort());
    if (mode == UpgradeModes.Mode.OFF) {
      return remote;
    }
    String host = address.getHostString();
    if (!destinations.classify(host).mesh()) {
      return remote;
    }
    // Per address too: a name served by several pods (a headless Service) keeps each one.
    String key = host + "/" + address.getAddress().getHostAddress() + ":" + address.getPort();
    Originator originator = originators.get(key);
    if (originator == null) {
      originator = originators.computeIfAbsent(key,
          ignored -> Originator.start(host, address, mode, connections));
    }
    return originator.address();
  }

  /** Registers {@code lanyard_outbound_not_upgraded_connects_total} and counts what came before. */
  public void attach(io.prometheus.metrics.model.registry.PrometheusRegistry registry) {
    unhookedConnects.attach(registry);
  }

  /**
   * Before a connect the hook cannot redirect (Netty's native epoll, NIO2): to a mesh destination
   * on a {@code strict} port it is refused, since it would leave in clear text; on a {@code
   * permissive} port it goes ahead in clear text, said once per destination (one WARN line).
   * Both counted.
   */
  public void beforeUnhookedConnect(Object channel, SocketAddress remote, String transport)
      throws java.net.ConnectException {
    if (!(remote instanceof InetSocketAddress)) {
      return;
    }
    InetSocketAddress address = (InetSocketAddress) remote;
    UpgradeModes.Mode mode = config.modeFor(address.getPort());
    if (mode == UpgradeModes.Mode.OFF || !destinations.classify(address.getHostString()).mesh()) {
      return;
    }
    String destination = address.getHostString() + ":" + address.getPort();
    boolean nio2 = transport.equals("nio2");
    String why = channel.getClass().getName() + " connects to " + destination + " through "
        + (nio2 ? "NIO2 AsynchronousSocketChannel"
            : transport.equals("netty-epoll") ? "Netty's native epoll transport" : transport)
        + ", which Lanyard's connect hook cannot carry as mTLS";
    String fix = nio2
        ? "use a SocketChannel or Socket (or an HTTP client built on them) or TLS in the"
            + " application"
        : "use the JDK NIO transport (Netty: NioIoHandler / NioSocketChannel; gRPC:"
            + " NettyChannelBuilder.channelType(NioSocketChannel.class) with an NIO event loop"
            + " group) or TLS in the application";
    boolean strict = mode == UpgradeModes.Mode.STRICT;
    unhookedConnects.inc(destination, strict ? "denied" : "allowed", transport);
    if (strict) {
      String refusal = "refused to connect to " + destination + ": LANYARD_UPGRADE_OUTBOUND says"
          + " strict, but " + why + ", so it would leave in clear text; " + fix + ", or set "
          + address.getPort() + "=permissive while migrating";
      if (warnedUnhooked.add(destination)) {
        dev.lanyard.tls.LanyardLog.warn(refusal);
      }
      throw new java.net.ConnectException("lanyard: " + refusal);
    }
    if (warnedUnhooked.add(destination)) {
      dev.lanyard.tls.LanyardLog.warn("connection to " + destination + " is NOT upgraded to mTLS"
          + " (LANYARD_UPGRADE_OUTBOUND says permissive): " + why + ", so it goes in clear text; "
          + fix);
    }
  }

  /** Runs {@code connect} without upgrading it (Lanyard's own connections). */
  static <T> T direct(IoCall<T> connect) throws IOException {
    LANYARD_CONNECTING.set(Boolean.TRUE);
    try {
      return connect.call();
    } finally {
      LANYARD_CONNECTING.remove();
    }
  }

  /** An I/O action. */
  @FunctionalInterface
  interface IoCall<T> {
    T call() throws IOException;
  }
}
