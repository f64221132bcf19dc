package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;

/**
 * The refusal an HTTP/2 client understands (RFC 9113): the server's connection preface (an empty
 * SETTINGS frame), then GOAWAY with last stream 0 (no stream was processed), error {@code
 * HTTP_1_1_REQUIRED} and the reason as debug data; then the connection closes. Written as bytes:
 * the sidecar speaks no HTTP/2 otherwise.
 */
final class Http2Refusal {
  static final int HTTP_1_1_REQUIRED = 0xd;
  private static final int FRAME_HEADER = 9;
  private static final byte SETTINGS = 0x4;
  private static final byte GOAWAY = 0x7;

  private Http2Refusal() {}

  static void goAway(ChannelHandlerContext ctx, Reason code, String reason) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.close(code, reason);
    }
    byte[] debug = reason.getBytes(StandardCharsets.UTF_8);
    ByteBuf frames = ctx.alloc().buffer(2 * FRAME_HEADER + 8 + debug.length);
    frameHeader(frames, 0, SETTINGS);
    frameHeader(frames, 8 + debug.length, GOAWAY);
    frames.writeInt(0);
    frames.writeInt(HTTP_1_1_REQUIRED);
    frames.writeBytes(debug);
    ctx.writeAndFlush(frames).addListener(ChannelFutureListener.CLOSE);
  }

  private static void frameHeader(ByteBuf out, int length, byte type) {
    out.writeMedium(length);
    out.writeByte(type);
    out.writeByte(0);
    out.writeInt(0);
  }
}
