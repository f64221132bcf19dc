package dev.lanyard.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * Holds a connection's place in the {@link HandshakeBudget} while its TLS handshake runs (after
 * the TLS handler, so it sees the handshake end first) and gives it back when the handshake ends,
 * whichever way, or the connection closes before that.
 */
final class HandshakeSlotHandler extends ChannelInboundHandlerAdapter {
  private final HandshakeBudget.Slot slot;

  HandshakeSlotHandler(HandshakeBudget.Slot slot) {
    this.slot = slot;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof SslHandshakeCompletionEvent) {
      slot.release();
      ctx.pipeline().remove(this);
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    slot.release();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    slot.release();
  }
}
