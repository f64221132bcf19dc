package dev.lanyard.proxy;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;

/**
 * One {@code LANYARD_OUTBOUND} route: plain TCP from the app on the left, mTLS to a mesh
 * destination on the right, for protocols that are not HTTP.
 *
 * <pre>
 * access-log → limit → bytes → idle → idle-close → relay
 * upstream: tls (client, SNI = host) → authorize (SVID required) → relay back
 * </pre>
 */
final class StaticOutboundInitializer extends ChannelInitializer<SocketChannel> {
  private final OutboundRoute route;
  private final UpstreamOpener upstreams;
  private final ListenerSettings settings;
  private final ConnectionLimiter limiter;

  StaticOutboundInitializer(OutboundRoute route, UpstreamOpener upstreams, ListenerSettings settings) {
    this.route = route;
    this.upstreams = upstreams;
    this.settings = settings;
    this.limiter = new ConnectionLimiter("outbound " + route, settings.config.maxConnections());
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    settings.addAccounting(ch.pipeline(), "outbound:" + route.listen(), "outbound", limiter);
    settings.addCountingAndIdle(ch.pipeline());
    ch.pipeline().addLast("start-relay", new RelayStarter(client -> upstreams.mtls(client,
        route.upstream(), pipeline -> pipeline.addLast("relay", new RelayHandler(client)))));
  }
}
