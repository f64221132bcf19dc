package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The proxy's own answers: a status and one sentence, then the connection closes. */
final class ProxyResponses {
  private ProxyResponses() {}

  static void sendAndClose(ChannelHandlerContext ctx, int status, String sentence) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.closeWithProxyAnswer(status, sentence);
    }
    send(ctx, status, sentence);
  }

  /**
   * A mesh port's own refusal of a request ({@code code: sentence} in the access log, beside the
   * peer's SPIFFE ID). The inbound pipeline relays the app's answers as bytes and has no response
   * encoder: one is added in front of {@code ctx} for this answer.
   */
  static void refuseInbound(ChannelHandlerContext ctx, int status, Reason code, String sentence) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.close(code, sentence);
    }
    if (ctx.pipeline().get(HttpResponseEncoder.class) == null) {
      ctx.pipeline().addBefore(ctx.name(), "refusal-encoder", new HttpResponseEncoder());
    }
    send(ctx, status, sentence);
  }

  private static void send(ChannelHandlerContext ctx, int status, String sentence) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(status),
        Unpooled.copiedBuffer(sentence + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    response.headers().set(HttpHeaderNames.CONNECTION, "close");
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
