package dev.lanyard.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** First handler of every client connection: opens its {@link ConnectionRecord}, logs it on close. */
final class AccessLogHandler extends ChannelInboundHandlerAdapter {
  private final AccessLog log;
  private final ConnectionRecord record;

  AccessLogHandler(AccessLog log, String listener, String direction) {
    this.log = log;
    this.record = new ConnectionRecord(listener, direction);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.channel().attr(ConnectionRecord.KEY).set(record);
    record.client = String.valueOf(ctx.channel().remoteAddress());
    log.opened(record);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    log.write(record);
    ctx.fireChannelInactive();
  }
}
