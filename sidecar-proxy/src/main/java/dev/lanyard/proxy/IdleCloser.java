package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/** Closes a connection when the {@code IdleStateHandler} before it reports no traffic either way. */
final class IdleCloser extends ChannelInboundHandlerAdapter {
  private final String limit;

  IdleCloser(String limit) {
    this.limit = limit;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof IdleStateEvent) {
      ConnectionRecord record = ConnectionRecord.of(ctx.channel());
      if (record != null) {
        record.close(Reason.IDLE_TIMEOUT, "no traffic for " + limit + " (" + SidecarConfig.IDLE_TIMEOUT + ")");
      }
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(event);
  }
}
