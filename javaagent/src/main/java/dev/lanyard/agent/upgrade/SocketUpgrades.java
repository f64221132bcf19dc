package dev.lanyard.agent.upgrade;

import dev.lanyard.agent.bootstrap.SocketHooks;
import java.io.IOException;
import java.net.SocketAddress;

/** The socket hooks: binds go to {@link InboundUpgrades}, connects to {@link OutboundUpgrades}. */
public final class SocketUpgrades implements SocketHooks {
  private final InboundUpgrades inbound;
  private final OutboundUpgrades outbound;
  private final NativeTransportSteering steering;

  /** Either may be null when its variable is off. */
  public SocketUpgrades(InboundUpgrades inbound, OutboundUpgrades outbound,
      NativeTransportSteering steering) {
    this.inbound = inbound;
    this.outbound = outbound;
    this.steering = steering;
  }

  @Override
  public boolean steerToNio(Class<?> availability) {
    return steering.steer(availability);
  }

  @Override
  public SocketAddress beforeBind(Object server, SocketAddress requested) throws IOException {
    return inbound == null ? requested : inbound.beforeBind(server, requested);
  }

  @Override
  public void afterBind(Object server, Throwable failure) {
    if (inbound != null) {
      inbound.afterBind(server, failure);
    }
  }

  @Override
  public void beforeUnhookedBind(Object server, SocketAddress requested, String transport)
      throws java.io.IOException {
    if (inbound != null) {
      inbound.beforeUnhookedBind(server, requested, transport);
    }
  }

  @Override
  public void beforeUnhookedConnect(Object channel, SocketAddress remote, String transport)
      throws java.io.IOException {
    if (outbound != null) {
      outbound.beforeUnhookedConnect(channel, remote, transport);
    }
  }

  @Override
  public void unhookedBind(Object server, SocketAddress requested, String transport) {
    if (inbound != null) {
      inbound.unhookedBind(server, requested, transport);
    }
  }

  @Override
  public void closed(Object server) {
    if (inbound != null) {
      inbound.closed(server);
    }
  }

  @Override
  public SocketAddress beforeConnect(Object socket, SocketAddress remote) throws IOException {
    return outbound == null ? remote : outbound.beforeConnect(socket, remote);
  }
}
