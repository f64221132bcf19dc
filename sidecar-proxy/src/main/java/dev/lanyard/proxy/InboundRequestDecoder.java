package dev.lanyard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder, which parses every request of an HTTP mesh port (any method token),
 * plus one rule: after a WebSocket upgrade request it stops, holding what the client sent next,
 * until the app has answered it ({@link UpgradeTracker}). A {@code 101} turns the connection raw
 * ({@link HttpStage#remove}); any other answer means the upgrade was declined, and parsing resumes
 * with the held bytes, so a request pipelined behind a declined upgrade is labelled like any other.
 * While it waits it asks the client for nothing more: at most one read is held.
 */
final class InboundRequestDecoder extends HttpRequestDecoder {
  private boolean upgradeRequested;
  private boolean awaitingApp;
  private ChannelHandlerContext context;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    context = ctx;
    super.handlerAdded(ctx);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (awaitingApp) {
      return;
    }
    int before = out.size();
    super.decode(ctx, in, out);
    for (int i = before; i < out.size(); i++) {
      Object message = out.get(i);
      if (message instanceof HttpRequest request && !request.decoderResult().isFailure()) {
        upgradeRequested = Upgrades.webSocketRequested(request.headers());
      }
      if (message instanceof LastHttpContent && upgradeRequested) {
        upgradeRequested = false;
        awaitingApp = true;
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (awaitingApp) {
      // Not super's: it would ask the client for more bytes, which we could only pile up.
      ctx.fireChannelReadComplete();
      return;
    }
    super.channelReadComplete(ctx);
  }

  boolean awaitingApp() {
    return awaitingApp;
  }

  /** The app answered the upgrade request: {@code switched} when with {@code 101}. */
  void appAnswered(boolean switched) {
    ChannelHandlerContext ctx = context;
    if (!awaitingApp || ctx == null || ctx.isRemoved()) {
      return;
    }
    awaitingApp = false;
    if (switched) {
      HttpStage.remove(ctx.pipeline());
    } else {
      // Decodes what was held; the cumulation is only reachable through channelRead.
      try {
        channelRead(ctx, Unpooled.EMPTY_BUFFER);
      } catch (Exception e) {
        ctx.fireExceptionCaught(e);
      }
    }
    ctx.channel().read();
  }
}
