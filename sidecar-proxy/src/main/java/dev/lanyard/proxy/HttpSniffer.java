package dev.lanyard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Looks at the first bytes a client sends on a mesh port: an HTTP/1.x request line (a known
 * method and a space) gets the HTTP request decoder, {@link PeerIdHeaderHandler} and {@link
 * HttpUpgradeSwitch} after it;
 * anything else is relayed as raw TCP. Either way this handler then removes itself, handing on
 * the bytes it held. It waits for at most as many bytes as the longest method plus the space.
 *
 * <p>With {@code LANYARD_INBOUND_JWT_AUDIENCE} set, HTTP requests also get {@link
 * InboundJwtHandler}, and non-HTTP traffic is refused (closed, one {@code jwt.accept} audit record
 * with rule {@code missing-token}): raw bytes carry no token to check, and relaying them would
 * let any mesh peer past the JWT requirement.
 */
final class HttpSniffer extends ByteToMessageDecoder {
  /** CONNECT is left out on purpose: a tunnel through a mesh port is not an HTTP exchange we can label. */
  private static final List<String> METHODS = List.of(
      "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "TRACE ");

  enum Verdict { HTTP, RAW, NEED_MORE }

  /** Null when this port requires no JWT-SVID. */
  private final InboundJwt jwt;

  HttpSniffer() {
    this(null);
  }

  HttpSniffer(InboundJwt jwt) {
    this.jwt = jwt;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    Verdict verdict = classify(in);
    if (verdict == Verdict.NEED_MORE) {
      return;
    }
    if (verdict == Verdict.HTTP) {
      ctx.pipeline().addAfter(ctx.name(), "http-request-decoder", new HttpRequestDecoder());
      ctx.pipeline().addAfter("http-request-decoder", "peer-id-header", new PeerIdHeaderHandler());
      String last = "peer-id-header";
      if (jwt != null) {
        ctx.pipeline().addAfter(last, "jwt-svid", new InboundJwtHandler(jwt));
        last = "jwt-svid";
      }
      ctx.pipeline().addAfter(last, "http-upgrade", new HttpUpgradeSwitch());
    } else if (jwt != null) {
      refuseRaw(ctx, in);
      return;
    }
    // Removing a ByteToMessageDecoder passes its buffered bytes to the next handler.
    ctx.pipeline().remove(this);
  }

  private void refuseRaw(ChannelHandlerContext ctx, ByteBuf in) {
    in.skipBytes(in.readableBytes());
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.closeReason("jwt_required: non-HTTP traffic on a mesh port that requires a JWT-SVID"
          + " for audience \"" + jwt.audience() + "\" (LANYARD_INBOUND_JWT_AUDIENCE)");
    }
    // The verifier writes the audit record (no token: missing-token), then the connection closes.
    jwt.verify(ctx.channel(), null).addListener(done -> ctx.close());
  }

  static Verdict classify(ByteBuf in) {
    int available = Math.min(in.readableBytes(), 8);
    String head = in.toString(in.readerIndex(), available, StandardCharsets.ISO_8859_1);
    boolean couldStillMatch = false;
    for (String method : METHODS) {
      if (head.startsWith(method)) {
        return Verdict.HTTP;
      }
      if (method.startsWith(head)) {
        couldStillMatch = true;
      }
    }
    return couldStillMatch ? Verdict.NEED_MORE : Verdict.RAW;
  }
}
