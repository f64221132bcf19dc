package dev.lanyard.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * {@code POST /shutdown} for clusters without native sidecars: the app container's entrypoint
 * calls it when the app exits so that the pod (a Job, say) can complete. It starts the same drain
 * as SIGTERM. It lives on its own port ({@code LANYARD_SHUTDOWN_ADDRESS}, default {@code
 * 127.0.0.1:15002}) because spiffe-tls's admin endpoint is deliberately read-only, and it answers
 * only loopback clients whatever address it is bound to.
 */
final class ShutdownEndpoint extends ChannelInitializer<SocketChannel> {
  private final Runnable shutdown;

  ShutdownEndpoint(Runnable shutdown) {
    this.shutdown = shutdown;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ch.pipeline().addLast(new HttpServerCodec(1024, 4096, 1024));
    ch.pipeline().addLast(new HttpObjectAggregator(1024));
    ch.pipeline().addLast(new Handler());
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      boolean loopback = ctx.channel().remoteAddress() instanceof InetSocketAddress address
          && address.getAddress() != null && address.getAddress().isLoopbackAddress();
      if (!loopback) {
        reply(ctx, 403, "lanyard: /shutdown answers only loopback clients\n");
      } else if (!request.uri().equals("/shutdown")) {
        reply(ctx, 404, "lanyard: not found: only POST /shutdown is served here\n");
      } else if (!request.method().equals(HttpMethod.POST)) {
        reply(ctx, 405, "lanyard: use POST /shutdown\n");
      } else {
        reply(ctx, 202, "lanyard: draining connections, then exiting\n");
        shutdown.run();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    private void reply(ChannelHandlerContext ctx, int status, String body) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.valueOf(status), Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
      response.headers().set(HttpHeaderNames.CONNECTION, "close");
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
