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
 */
final class HttpSniffer extends ByteToMessageDecoder {
  /** CONNECT is left out on purpose: a tunnel through a mesh port is not an HTTP exchange we can label. */
  private static final List<String> METHODS = List.of(
      "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "TRACE ");

  enum Verdict { HTTP, RAW, NEED_MORE }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    Verdict verdict = classify(in);
    if (verdict == Verdict.NEED_MORE) {
      return;
    }
    if (verdict == Verdict.HTTP) {
      ctx.pipeline().addAfter(ctx.name(), "http-request-decoder", new HttpRequestDecoder());
      ctx.pipeline().addAfter("http-request-decoder", "peer-id-header", new PeerIdHeaderHandler());
      ctx.pipeline().addAfter("peer-id-header", "http-upgrade", new HttpUpgradeSwitch());
    }
    // Removing a ByteToMessageDecoder passes its buffered bytes to the next handler.
    ctx.pipeline().remove(this);
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
