package dev.lanyard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/** Counts the client's plaintext bytes each way (placed right after TLS, before any codec). */
final class ByteCounter extends ChannelDuplexHandler {
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null && msg instanceof ByteBuf buf) {
      record.bytesFromClient.addAndGet(buf.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null && msg instanceof ByteBuf buf) {
      record.bytesToClient.addAndGet(buf.readableBytes());
    }
    ctx.write(msg, promise);
  }
}
