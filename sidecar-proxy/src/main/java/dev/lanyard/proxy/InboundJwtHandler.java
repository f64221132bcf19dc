package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import dev.lanyard.tls.JwtVerifier;
import dev.lanyard.tls.PeerDecision;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;

/**
 * Requires a valid JWT-SVID on every HTTP request of a mesh port ({@code
 * LANYARD_INBOUND_JWT_AUDIENCE}). A request and whatever follows it are held until its token is
 * checked: accepted, it goes on with the verified subject in {@code X-Lanyard-Jwt-Subject} (any
 * client copy was already removed by {@link PeerIdHeaderHandler}); refused, the client gets 401
 * with the reason and the connection closes, and not one byte of the request reaches the app.
 */
final class InboundJwtHandler extends ChannelInboundHandlerAdapter {
  static final String HEADER = "X-Lanyard-Jwt-Subject";

  private final InboundJwt jwt;
  private final Queue<Object> waiting = new ArrayDeque<>();
  private boolean checking;
  private boolean refused;

  InboundJwtHandler(InboundJwt jwt) {
    this.jwt = jwt;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg);
    } else if (checking) {
      waiting.add(msg);
    } else if (msg instanceof HttpRequest request) {
      waiting.add(msg);
      check(ctx, request);
    } else {
      // The body of an accepted request, or raw bytes after an accepted Upgrade.
      ctx.fireChannelRead(msg);
    }
  }

  private void check(ChannelHandlerContext ctx, HttpRequest request) {
    checking = true;
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    jwt.verify(ctx.channel(), authorization).addListener(done -> {
      if (!ctx.channel().isActive()) {
        releaseWaiting();
        return;
      }
      if (!done.isSuccess()) {
        refuse(ctx, "lanyard: the JWT-SVID could not be checked: " + done.cause().getMessage());
        return;
      }
      PeerDecision decision = (PeerDecision) done.getNow();
      Optional<String> subject = JwtVerifier.subject(decision);
      if (subject.isEmpty()) {
        ConnectionRecord record = ConnectionRecord.of(ctx.channel());
        if (record != null) {
          record.close(Reason.JWT_REFUSED, decision.rule());
        }
        refuse(ctx, "lanyard: JWT-SVID refused (" + decision.rule() + "): " + decision.reason());
        return;
      }
      // Only the checked value reaches the app: a second Authorization header could carry another.
      request.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
      request.headers().set(HEADER, subject.get());
      checking = false;
      ctx.fireChannelRead(waiting.poll());
      passOn(ctx);
    });
  }

  /** Hands on what followed the accepted request, up to the next request (checked in turn). */
  private void passOn(ChannelHandlerContext ctx) {
    while (!waiting.isEmpty()) {
      Object next = waiting.peek();
      if (next instanceof HttpRequest request) {
        check(ctx, request);
        return;
      }
      ctx.fireChannelRead(waiting.poll());
    }
  }

  private void refuse(ChannelHandlerContext ctx, String reason) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.close(Reason.JWT_REFUSED, reason);
    }
    refused = true;
    checking = false;
    releaseWaiting();
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.UNAUTHORIZED, Unpooled.copiedBuffer(reason + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"lanyard\", audience=\""
        + jwt.audience() + "\"");
    response.headers().set(HttpHeaderNames.CONNECTION, "close");
    // App responses are relayed as bytes, so this pipeline has no response encoder: add one here.
    ctx.pipeline().addBefore(ctx.name(), "jwt-refusal-encoder", new HttpResponseEncoder());
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseWaiting();
    ctx.fireChannelInactive();
  }

  private void releaseWaiting() {
    while (!waiting.isEmpty()) {
      ReferenceCountUtil.release(waiting.poll());
    }
  }
}
