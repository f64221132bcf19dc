package dev.lanyard.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Lets a mesh port carry {@code Upgrade} requests (WebSocket): after such a request has been
 * passed on, the client side stops parsing HTTP and relays raw bytes, since what follows a
 * {@code 101} is no longer HTTP.
 *
 * <p>The app's answer is relayed as raw bytes and never parsed, so whether it accepted the
 * upgrade is not known here. To keep {@code X-Lanyard-Peer-Id} trustworthy anyway, the request
 * also gets {@code Connection: close}: an app that declines answers and closes, so no later
 * request can arrive on a connection that is no longer being labelled.
 */
final class HttpUpgradeSwitch extends ChannelInboundHandlerAdapter {
  private boolean switching;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request && request.headers().contains(HttpHeaderNames.UPGRADE)
        && !request.decoderResult().isFailure()) {
      String connection = request.headers().get(HttpHeaderNames.CONNECTION, "upgrade");
      request.headers().set(HttpHeaderNames.CONNECTION, connection + ", close");
      switching = true;
    }
    boolean last = msg instanceof LastHttpContent;
    ctx.fireChannelRead(msg);
    if (switching && last) {
      // This handler and the header rule go first, then the decoder hands on any bytes it held.
      ctx.pipeline().remove(PeerIdHeaderHandler.class);
      ctx.pipeline().remove(this);
      ctx.pipeline().remove(HttpRequestDecoder.class);
    }
  }
}
