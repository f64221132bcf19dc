package dev.lanyard.compat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.KeyManagerFactory;

/**
 * A plain Netty HTTP/1.1 server: {@code SslHandler} from
 * {@code SslContextBuilder.forServer(KeyManagerFactory)} (JDK default-algorithm factories in
 * default mode), client certificates required when TLS is mutual, then {@code HttpServerCodec}.
 * The peer comes from {@code SslHandler.engine().getSession()}. Netty's default TLS provider is
 * OpenSSL here (tcnative is on the class path); {@code --ssl-provider jdk|openssl} forces one.
 */
public final class NettyServerApp {
  private NettyServerApp() {}

  public static void main(String[] args) throws Exception {
    ServerMain.run("NettyServerApp", args, NettyServerApp::start);
  }

  private static int start(ServerMain.Settings settings) throws Exception {
    SslContext sslContext = settings.tls().mode().isTls() ? sslContext(settings) : null;
    if (sslContext != null) {
      System.err.println("INFO " + settings.app() + " netty_ssl_context="
          + sslContext.getClass().getSimpleName());
    }
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    Channel channel = new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ChannelPipeline pipeline = ch.pipeline();
            if (sslContext != null) {
              pipeline.addLast("tls", sslContext.newHandler(ch.alloc()));
            }
            pipeline.addLast("http", new HttpServerCodec());
            pipeline.addLast("aggregate", new HttpObjectAggregator(64 * 1024));
            pipeline.addLast("peer", new PeerHandler(settings.app()));
          }
        })
        .bind(new InetSocketAddress(settings.bind(), settings.port()))
        .sync()
        .channel();
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  private static SslContext sslContext(ServerMain.Settings settings) throws Exception {
    TlsSettings tls = settings.tls();
    KeyManagerFactory keys = tls.keyManagerFactory();
    if (keys == null) {
      throw new AppArgs.UsageException(settings.app() + ": --tls keystore needs --keystore");
    }
    SslContextBuilder builder = SslContextBuilder.forServer(keys)
        .trustManager(tls.trustManagerFactory())
        .clientAuth(settings.needClientAuth() ? ClientAuth.REQUIRE : ClientAuth.NONE);
    SslProvider provider = NettySsl.provider(tls);
    if (provider != null) {
      builder.sslProvider(provider);
    }
    return builder.build();
  }

  /** Answers every request with the client's identity; logs failed handshakes in one line. */
  private static final class PeerHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final String app;

    PeerHandler(String app) {
      this.app = app;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      SslHandler tls = ctx.pipeline().get(SslHandler.class);
      String peer = tls == null ? Peers.NONE : Peers.of(tls.engine().getSession());
      FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(),
          HttpResponseStatus.OK,
          Unpooled.copiedBuffer(Peers.body(peer), StandardCharsets.UTF_8));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      HttpUtil.setContentLength(response, response.content().readableBytes());
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      HttpUtil.setKeepAlive(response, keepAlive);
      var written = ctx.writeAndFlush(response);
      if (!keepAlive) {
        written.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
      if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
        ServerMain.error(app, "TLS handshake failed with " + ctx.channel().remoteAddress(),
            handshake.cause());
      }
      super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A failed handshake arrives here too, after the event above: report it once.
      if (!(cause.getCause() instanceof javax.net.ssl.SSLException
          || cause instanceof javax.net.ssl.SSLException)) {
        ServerMain.error(app, "connection from " + ctx.channel().remoteAddress() + " failed", cause);
      }
      ctx.close();
    }
  }
}
