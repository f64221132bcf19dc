package dev.lanyard.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Tells the app who is calling: every request on a mesh port gets {@code X-Lanyard-Peer-Id} with
 * the peer's verified SPIFFE ID, and every copy the client sent (headers or trailers, any case) is
 * removed first, so the app can trust the header. The same for {@code X-Lanyard-Jwt-Subject}, on
 * every mesh port, whether or not it checks JWT-SVIDs: only {@link InboundJwtHandler} sets it. A
 * request the decoder could not parse is
 * answered 400 here and never reaches the app: forwarding a request whose framing we did not
 * understand could smuggle a second one past this handler.
 */
final class PeerIdHeaderHandler extends ChannelInboundHandlerAdapter {
  static final String HEADER = "X-Lanyard-Peer-Id";

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      String reason = String.valueOf(http.decoderResult().cause().getMessage());
      ReferenceCountUtil.release(msg);
      ConnectionRecord record = ConnectionRecord.of(ctx.channel());
      if (record != null) {
        record.closeReason("bad_request: " + reason);
      }
      reject(ctx, reason);
      return;
    }
    if (msg instanceof HttpRequest request) {
      request.headers().remove(HEADER);
      request.headers().remove(InboundJwtHandler.HEADER);
      PeerIdentity.of(ctx.channel()).ifPresent(id -> request.headers().set(HEADER, id));
    }
    // contains() first: the shared empty last content has read-only trailers.
    if (msg instanceof LastHttpContent last && (last.trailingHeaders().contains(HEADER)
        || last.trailingHeaders().contains(InboundJwtHandler.HEADER))) {
      last.trailingHeaders().remove(HEADER);
      last.trailingHeaders().remove(InboundJwtHandler.HEADER);
    }
    ctx.fireChannelRead(msg);
  }

  private static void reject(ChannelHandlerContext ctx, String reason) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.BAD_REQUEST, Unpooled.copiedBuffer(
            "lanyard: malformed HTTP request: " + reason + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    response.headers().set(HttpHeaderNames.CONNECTION, "close");
    // This pipeline has no response encoder (app responses are relayed as bytes): add one here.
    ctx.pipeline().addBefore(ctx.name(), "reject-encoder", new HttpResponseEncoder());
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
