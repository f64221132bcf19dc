package dev.lanyard.agent.bootstrap;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * What the instrumented JDK sockets ask Lanyard when {@code LANYARD_UPGRADE_INBOUND} or {@code
 * LANYARD_UPGRADE_OUTBOUND} upgrades plain ports to mTLS. Typed with JDK types only, like {@link TlsHooks}.
 */
public interface SocketHooks {
  /**
   * A server socket or channel ({@code server}) is about to bind {@code requested}. Returns the
   * address it binds instead (a loopback ephemeral port, behind Lanyard's mTLS listener that now
   * holds {@code requested}), or {@code requested} itself when the port is not upgraded.
   *
   * @throws IOException when Lanyard cannot bind {@code requested} itself (the application sees
   *     the same failure it would have seen)
   */
  SocketAddress beforeBind(Object server, SocketAddress requested) throws IOException;

  /**
   * A server ({@code server}) binds {@code requested} through {@code transport}, a path the bind
   * hook cannot redirect (NIO2 {@code AsynchronousServerSocketChannel}, Netty's native epoll):
   * Lanyard says so when the port is one it was asked to upgrade.
   */
  default void unhookedBind(Object server, SocketAddress requested, String transport) {}

  /**
   * A server ({@code server}) is about to bind {@code requested} through {@code transport}, a
   * path the bind hook cannot redirect.
   *
   * @throws IOException when the port is {@code strict}: it would serve plaintext, so the bind is
   *     refused with the reason (fail closed), never served in clear text
   */
  default void beforeUnhookedBind(Object server, SocketAddress requested, String transport)
      throws IOException {}

  /**
   * A client ({@code channel}) is about to connect to {@code remote} through {@code transport}, a
   * path the connect hook cannot redirect.
   *
   * @throws IOException when {@code remote} is a mesh destination on a {@code strict} port: the
   *     connection would leave in clear text, so it is refused with the reason (fail closed)
   */
  default void beforeUnhookedConnect(Object channel, SocketAddress remote, String transport)
      throws IOException {}

  /**
   * {@code availability.isAvailable()} (Netty's native transports) returned true to the code on
   * this thread's stack. Returns whether to answer false instead, so that it chooses the JDK NIO
   * transport, whose sockets are upgraded.
   */
  default boolean steerToNio(Class<?> availability) {
    return false;
  }

  /** {@code server}'s bind returned ({@code failure} null) or threw. */
  void afterBind(Object server, Throwable failure);

  /** {@code server} was closed: Lanyard's listener in front of it closes too. */
  void closed(Object server);

  /**
   * A plain socket or channel is about to connect to {@code remote}. Returns where it connects
   * instead (Lanyard's loopback originator that carries the connection as mTLS to {@code
   * remote}), or {@code remote} itself when the destination is not upgraded
   * ({@code LANYARD_UPGRADE_OUTBOUND}).
   */
  SocketAddress beforeConnect(Object socket, SocketAddress remote) throws IOException;
}
