package dev.lanyard.agent.upgrade;

import dev.lanyard.tls.LanyardLog;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Ports {@code LANYARD_UPGRADE_INBOUND} names that a server bound through a transport the bind
 * hook cannot redirect (NIO2 {@code AsynchronousServerSocketChannel}, Netty's native epoll), so
 * they serve plaintext: one WARN line per port, {@code lanyard_inbound_not_upgraded_binds_total
 * {port,transport}}, and an {@code uncovered} entry in {@code /identity}. Seen, not fixed: the
 * operator must switch the server to the JDK NIO transport (or serve TLS in the app).
 */
public final class UnupgradedPorts {
  private final BiConsumer<String, String> uncovered;
  private final Set<Integer> warned = ConcurrentHashMap.newKeySet();
  private final EarlyCounter binds = new EarlyCounter("lanyard_inbound_not_upgraded_binds_total",
      "Binds of ports LANYARD_UPGRADE_INBOUND names through a transport Lanyard cannot put mTLS"
          + " in front of (nio2, netty-epoll): these ports serve plaintext",
      "port", "transport");

  public UnupgradedPorts(PrometheusRegistry registry, BiConsumer<String, String> uncovered) {
    this(uncovered);
    attach(registry);
  }

  private UnupgradedPorts(BiConsumer<String, String> uncovered) {
    this.uncovered = uncovered;
  }

  /** Warns and lists at once; counts in the registry once {@link #attach} gives it. */
  public static UnupgradedPorts untilAttached(BiConsumer<String, String> uncovered) {
    return new UnupgradedPorts(uncovered);
  }

  /** Registers the counter in {@code registry} and counts the binds seen before. */
  public void attach(PrometheusRegistry registry) {
    binds.attach(registry);
  }

  private void count(int port, String transport) {
    binds.inc(Integer.toString(port), transport);
  }

  /**
   * {@code server} is about to bind the strict {@code port} through {@code transport}: the
   * refusal for the application (one WARN line per port says the same), since a strict port must
   * never serve plaintext.
   */
  java.net.BindException refused(int port, Object server, String transport) {
    String why = "lanyard: refused to bind port " + port + ": LANYARD_UPGRADE_INBOUND says strict,"
        + " but " + server.getClass().getName() + " binds it through " + describe(transport)
        + ", which Lanyard's bind hook cannot put a listener in front of, so it would serve"
        + " plaintext; use the JDK NIO transport (ServerSocketChannel; Netty: NioIoHandler /"
        + " NioServerSocketChannel), serve TLS in the application, or set " + port
        + "=permissive while migrating";
    if (warned.add(port)) {
      LanyardLog.warn(why.substring("lanyard: ".length()));
    }
    return new java.net.BindException(why);
  }

  /** {@code server} bound {@code port} (whose mode is {@code mode}) through {@code transport}. */
  void bound(int port, String mode, Object server, String transport) {
    count(port, transport);
    if (!warned.add(port)) {
      return;
    }
    String why = "port " + port + " is NOT upgraded to mTLS (LANYARD_UPGRADE_INBOUND says " + mode
        + "): " + server.getClass().getName() + " binds it through " + describe(transport)
        + ", which Lanyard's bind hook cannot put a listener in front of, so it serves plaintext;"
        + " use the JDK NIO transport (ServerSocketChannel; Netty: NioIoHandler /"
        + " NioServerSocketChannel) or serve TLS in the application";
    LanyardLog.warn(why);
    uncovered.accept("port " + port + " (" + transport + ")", why);
  }

  private static String describe(String transport) {
    return transport.equals("nio2") ? "NIO2 AsynchronousServerSocketChannel"
        : transport.equals("netty-epoll") ? "Netty's native epoll transport" : transport;
  }
}
