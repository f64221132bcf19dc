package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * Copies everything read on its channel to {@code target}, one read at a time: both channels run
 * with {@code AUTO_READ} off, and the next read is asked for only after the previous chunk was
 * flushed to the other side (Netty's HexDumpProxy pattern), so a slow reader on one side stops
 * reading on the other instead of buffering without bound.
 *
 * <p>Half-close: when its side stops sending (TCP FIN, or a TLS close_notify), the target's output
 * is shut down (FIN) after pending writes, and the other direction keeps flowing; when both directions
 * are done, both channels close. When its channel closes, the target closes after a flush.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
  private static final AttributeKey<Boolean> INPUT_DONE = AttributeKey.valueOf("lanyard.inputDone");

  private final Channel target;
  /** One per connection, not one per chunk: this runs for every chunk relayed. */
  private ChannelFutureListener readNextAfterWrite;

  RelayHandler(Channel target) {
    this.target = target;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    readNextAfterWrite = future -> {
      if (future.isSuccess()) {
        ctx.channel().read();
      } else {
        future.channel().close();
        ctx.close();
      }
    };
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!target.isActive()) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    target.writeAndFlush(msg).addListener(readNextAfterWrite);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ChannelInputShutdownEvent || event instanceof SslCloseCompletionEvent) {
      ctx.channel().attr(INPUT_DONE).set(Boolean.TRUE);
      shutdownOutput(target);
      if (Boolean.TRUE.equals(target.attr(INPUT_DONE).get())) {
        closeAfterFlush(target);
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closeAfterFlush(target);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record == null) {
      record = ConnectionRecord.of(target);
    }
    if (record != null) {
      record.close(Reason.ERROR, String.valueOf(cause));
    }
    ctx.close();
  }

  /**
   * Tells the peer "no more data" with a TCP FIN after pending writes, also on TLS connections.
   * Why not a TLS close_notify: Netty's OpenSSL engine closes both directions when either side's
   * close_notify is sent or received, so a close_notify would cut off the answer still on its
   * way. A FIN leaves the TLS session open for the other direction; the full close later sends
   * close_notify as usual. (A peer's close_notify, {@link SslCloseCompletionEvent}, is still
   * understood as its end of input.)
   */
  static void shutdownOutput(Channel channel) {
    if (!channel.isActive()) {
      return;
    }
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(done -> shutdownSocketOutput(channel));
  }

  private static void shutdownSocketOutput(Channel channel) {
    if (channel instanceof DuplexChannel duplex && channel.isActive()) {
      duplex.shutdownOutput();
    }
  }

  static void closeAfterFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
