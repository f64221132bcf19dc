package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Connects upstreams with the same settings as client connections: {@code AUTO_READ} off (the
 * relay reads on demand), half-close allowed, bounded connect and handshake times.
 *
 * <p>Host names are resolved by the JVM's own {@code InetAddress} (and so the pod's resolv.conf
 * search list) by {@link HostLookups}, off the event loop, so a slow DNS server delays
 * only the connection that asked.
 */
final class Upstreams implements UpstreamOpener {
  /**
   * Netty's pooled allocator for every sidecar connection, not 4.2's default adaptive one: each TLS
   * wrap and unwrap asks its buffers for an NIO view, which a pooled buffer keeps and an adaptive
   * one creates anew (a fifth to a third of the sidecar's garbage under load, JFR allocation
   * samples).
   */
  static final ByteBufAllocator BUFFERS = PooledByteBufAllocator.DEFAULT;
  /** Not {@code channel(Class)}: that looks the constructor up reflectively for every connection. */
  private static final ChannelFactory<NioSocketChannel> CHANNELS = NioSocketChannel::new;
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  private final SslContexts contexts;
  private final Duration handshakeTimeout;
  private final HostLookups hostLookups;
  private final PeerAlertHandler.Words refusals;

  Upstreams(SslContexts contexts, Duration handshakeTimeout, HostLookups hostLookups,
      PeerAlertHandler.Words refusals) {
    this.contexts = contexts;
    this.handshakeTimeout = handshakeTimeout;
    this.hostLookups = hostLookups;
    this.refusals = refusals;
  }

  @Override
  public Future<Channel> mtls(Channel client, HostAndPort destination,
      Consumer<ChannelPipeline> handlers) {
    Promise<Channel> ready = client.eventLoop().newPromise();
    Promise<String> authorized = client.eventLoop().newPromise();
    ChannelFuture connect = bootstrap(client, new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        // The host name goes into SNI and into the trust manager's mesh-host check.
        SslHandler tls = contexts.client().newHandler(ch.alloc(), destination.host(), destination.port());
        tls.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        ch.pipeline().addLast("tls", tls);
        ch.pipeline().addLast("peer-alert", new PeerAlertHandler(destination, refusals));
        ch.pipeline().addLast("authorize", new PeerAuthorizationHandler(authorized));
        handlers.accept(ch.pipeline());
      }
    }).connect(destination.toAddress());
    connect.addListener(done -> {
      if (!done.isSuccess()) {
        ready.tryFailure(connectFailure(destination, done.cause()));
      }
    });
    authorized.addListener(done -> {
      if (done.isSuccess()) {
        ready.trySuccess(connect.channel());
      } else {
        ready.tryFailure(done.cause());
      }
    });
    return ready;
  }

  @Override
  public Future<Channel> plain(Channel client, HostAndPort destination,
      Consumer<ChannelPipeline> handlers) {
    Promise<Channel> ready = client.eventLoop().newPromise();
    bootstrap(client, new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        handlers.accept(ch.pipeline());
      }
    }).connect(destination.toAddress()).addListener((ChannelFuture done) -> {
      if (done.isSuccess()) {
        ready.trySuccess(done.channel());
      } else {
        ready.tryFailure(connectFailure(destination, done.cause()));
      }
    });
    return ready;
  }

  private Bootstrap bootstrap(Channel client, ChannelInitializer<SocketChannel> initializer) {
    return new Bootstrap()
        .group(client.eventLoop())
        .channelFactory(CHANNELS)
        .resolver(hostLookups)
        .option(ChannelOption.ALLOCATOR, BUFFERS)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
        .handler(initializer);
  }

  private static Exception connectFailure(HostAndPort destination, Throwable cause) {
    return new PeerAuthorizationHandler.PeerRefusedException(Reason.CONNECT_FAILED,
        "cannot connect to "
        + destination + " (" + cause.getMessage() + ")");
  }
}
