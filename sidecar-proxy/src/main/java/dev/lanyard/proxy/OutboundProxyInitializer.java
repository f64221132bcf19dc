package dev.lanyard.proxy;

import dev.lanyard.tls.MeshDestinations;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The HTTP forward proxy the app reaches through {@code HTTP_PROXY}.
 *
 * <pre>
 * access-log → limit → bytes → idle → idle-close → http (server codec, bounded line and headers)
 *   → forward-proxy (adds JWT-SVIDs for LANYARD_JWT_AUDIENCES hosts, see OutboundJwt)
 * upstream: [tls → authorize, for mesh hosts] → http (client codec) → response-relay
 * </pre>
 */
final class OutboundProxyInitializer extends ChannelInitializer<SocketChannel> {
  /** Netty's defaults (4096 / 8192 / 8192): a request line or header block beyond them gets 400. */
  private static final int MAX_INITIAL_LINE = 4096;
  private static final int MAX_HEADER_SIZE = 8192;
  private static final int MAX_CHUNK_SIZE = 8192;

  private final UpstreamOpener upstreams;
  private final MeshDestinations destinations;
  private final ListenerSettings settings;
  private final ConnectionLimiter limiter;
  private final String listener;
  private final OutboundJwt jwt;

  OutboundProxyInitializer(HostAndPort address, UpstreamOpener upstreams, MeshDestinations destinations,
      OutboundJwt jwt, ListenerSettings settings) {
    this.upstreams = upstreams;
    this.destinations = destinations;
    this.jwt = jwt;
    this.settings = settings;
    this.listener = "outbound-proxy:" + address;
    this.limiter = new ConnectionLimiter("outbound proxy " + address, settings.config.maxConnections());
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    settings.addAccounting(ch.pipeline(), listener, "outbound", limiter);
    settings.addCountingAndIdle(ch.pipeline());
    ch.pipeline().addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE));
    ch.pipeline().addLast("forward-proxy", new ForwardProxyHandler(upstreams, destinations, jwt));
  }
}
