package dev.lanyard.proxy;

import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.LanyardTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The running sidecar: binds every listener, and drains them on stop. Stopping closes the
 * listeners first (no new connections), waits up to {@code LANYARD_DRAIN} for open connections to
 * finish, closes what is left, then releases the event loops and the SVID source.
 */
final class Sidecar {
  private final LanyardTls tls;
  private final SidecarConfig config;
  private final EventLoopGroup acceptors = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers;
  private final ChannelGroup listeners = new DefaultChannelGroup("listeners", GlobalEventExecutor.INSTANCE);
  private final ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final OffLoopWork offLoopWork = new OffLoopWork();
  private final HostLookups hostLookups = new HostLookups(offLoopWork);

  Sidecar(LanyardTls tls, SidecarConfig config) {
    this.tls = tls;
    this.config = config;
    this.workers = new MultiThreadIoEventLoopGroup(config.workerThreads(), NioIoHandler.newFactory());
  }

  /** Binds all listeners; returns what each one is, for the start line. */
  List<String> start(SslContexts contexts, PrintStream accessLog) throws InterruptedException {
    LanyardConfig shared = tls.config();
    ListenerSettings settings = new ListenerSettings(config,
        new AccessLog(accessLog, new ConnectionMetrics(tls.metrics().registry())), connections);
    Upstreams upstreams =
        new Upstreams(contexts, config.handshakeTimeout(), hostLookups, tls::refusedByPeer);
    List<String> bound = new ArrayList<>();
    InboundJwt inboundJwt = tls.jwtVerifier().map(verifier -> new InboundJwt(verifier, offLoopWork))
        .orElse(null);
    OutboundJwt outboundJwt = new OutboundJwt(tls.jwtSender(), shared.jwtAudiences(), offLoopWork);
    for (InboundRoute route : config.inbound()) {
      // Mesh ports listen on every interface: peers come from other pods.
      bind(new HostAndPort("0.0.0.0", route.meshPort()),
          new InboundInitializer(route, contexts, upstreams, inboundJwt, settings));
      bound.add("inbound " + route.meshPort() + "->127.0.0.1:" + route.appPort()
          + (route.raw() ? " (raw TCP, no identity headers)"
              : inboundJwt == null ? "" : " (JWT-SVID for audience " + inboundJwt.audience() + ")"));
    }
    for (OutboundRoute route : config.outbound()) {
      bind(route.listen(), new StaticOutboundInitializer(route, upstreams, settings));
      bound.add("outbound " + route);
    }
    if (config.outboundProxy().isPresent()) {
      HostAndPort address = config.outboundProxy().get();
      bind(address, new OutboundProxyInitializer(address, upstreams, shared.meshDestinations(),
          outboundJwt, settings));
      bound.add("outbound-proxy " + address);
    }
    if (config.shutdownAddress().isPresent()) {
      ServerBootstrap shutdown = new ServerBootstrap().group(acceptors, workers)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ShutdownEndpoint(this::stopAndExitAsync));
      HostAndPort address = config.shutdownAddress().get();
      listeners.add(shutdown.bind(address.host(), address.port()).sync().channel());
      bound.add("shutdown POST http://" + address + "/shutdown");
    }
    return bound;
  }

  private void bind(HostAndPort address, ChannelHandler initializer) throws InterruptedException {
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(acceptors, workers)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOCATOR, Upstreams.BUFFERS)
        .childHandler(initializer);
    Channel listener = bootstrap.bind(address.host(), address.port()).sync().channel();
    listeners.add(listener);
  }

  /** Drains and releases everything once; later calls wait for the first to finish. */
  void stop() {
    if (!stopping.compareAndSet(false, true)) {
      awaitStopped();
      return;
    }
    try {
      Duration grace = config.drain();
      listeners.close().awaitUninterruptibly();
      int open = connections.size();
      connections.forEach(channel -> channel.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE));
      LanyardLog.info("draining: listeners closed, " + open + " connection(s) open, waiting up to "
          + grace.toMillis() + " ms (" + SidecarConfig.DRAIN + ")");
      long deadline = System.nanoTime() + grace.toNanos();
      while (!connections.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      int left = connections.size();
      connections.close().awaitUninterruptibly();
      workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
      acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
      hostLookups.close();
      offLoopWork.close();
      tls.close();
      LanyardLog.info("stopped: " + (open - left) + " connection(s) finished, " + left
          + " closed at the end of the grace period");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stopped.countDown();
    }
  }

  private void awaitStopped() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** For {@code POST /shutdown}: drain off the event loop, then exit 0 (the hook sees it is done). */
  private void stopAndExitAsync() {
    Thread thread = new Thread(() -> {
      stop();
      System.exit(0);
    }, "lanyard-shutdown");
    thread.start();
  }
}
