package dev.lanyard.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.Future;
import java.util.function.Consumer;

/** Opens the far side of a relay, on the client connection's own event loop. */
interface UpstreamOpener {
  /**
   * Mutual TLS to a mesh destination; the future succeeds only after the server's SVID was
   * verified and authorized, and fails with a sentence saying why not.
   *
   * @param handlers adds the handlers that follow TLS and authorization
   */
  Future<Channel> mtls(Channel client, HostAndPort destination, Consumer<ChannelPipeline> handlers);

  /** Plain TCP (the local app, or a non-mesh destination). */
  Future<Channel> plain(Channel client, HostAndPort destination, Consumer<ChannelPipeline> handlers);
}
