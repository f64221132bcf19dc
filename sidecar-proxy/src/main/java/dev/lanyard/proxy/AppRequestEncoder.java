package dev.lanyard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import java.util.List;

/**
 * Encodes the HTTP requests relayed to the app, telling {@link UpgradeTracker} about each, and
 * lets raw bytes pass untouched (what a client sends after an accepted WebSocket upgrade).
 */
final class AppRequestEncoder extends HttpRequestEncoder {
  private final UpgradeTracker tracker;

  AppRequestEncoder(UpgradeTracker tracker) {
    this.tracker = tracker;
  }

  @Override
  public boolean acceptOutboundMessage(Object msg) throws Exception {
    return !(msg instanceof ByteBuf) && super.acceptOutboundMessage(msg);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
    if (msg instanceof HttpRequest request && !tracker.sent(request)) {
      // The write fails, so the relay closes both sides; the request never reaches the app.
      throw new IllegalStateException("request refused: the connection is closing");
    }
    super.encode(ctx, msg, out);
  }
}
