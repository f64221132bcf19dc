package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Looks at the first bytes a client sends on an HTTP mesh port (every port not declared
 * {@code /tcp}): an HTTP/1.x request line (any method token, then a space) gets the HTTP stage
 * ({@link HttpStage}), which parses every request of the connection; anything else is refused,
 * since relaying it would deliver bytes that no identity header labels:
 * <ul>
 *   <li>the HTTP/2 connection preface (prior knowledge, e.g. gRPC): a GOAWAY with {@code
 *       HTTP_1_1_REQUIRED} and the reason ({@link Http2Refusal});
 *   <li>anything else: {@code 400} with the reason.
 * </ul>
 * Either refusal names the peer in the access log ({@code close}). With {@code
 * LANYARD_INBOUND_JWT_AUDIENCE} the refusal also writes the {@code jwt.accept} audit record (rule
 * {@code missing_token}): the bytes carried no token. The handler removes itself once it decided,
 * handing on the bytes it held.
 */
final class HttpSniffer extends ByteToMessageDecoder {
  static final String H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  /** Longer than any registered method; a longer token is not taken for a request line. */
  static final int MAX_METHOD_LENGTH = 64;

  enum Verdict { HTTP1, HTTP2_PREFACE, NOT_HTTP, NEED_MORE }

  private final InboundRoute route;
  /** Null when this port requires no JWT-SVID. */
  private final InboundJwt jwt;
  private final UpgradeTracker upgrades;
  private boolean refused;

  HttpSniffer(InboundRoute route, InboundJwt jwt, UpgradeTracker upgrades) {
    this.route = route;
    this.jwt = jwt;
    this.upgrades = upgrades;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (refused) {
      in.skipBytes(in.readableBytes());
      return;
    }
    Verdict verdict = classify(in);
    if (verdict == Verdict.NEED_MORE) {
      return;
    }
    if (verdict == Verdict.HTTP1) {
      HttpStage.install(ctx.pipeline(), ctx.name(), jwt, upgrades);
      // Removing a ByteToMessageDecoder passes its buffered bytes to the next handler.
      ctx.pipeline().remove(this);
      return;
    }
    refused = true;
    String head = printable(in);
    in.skipBytes(in.readableBytes());
    String rawPort = route.meshPort() + ":" + route.appPort() + InboundRoute.RAW_SUFFIX;
    if (verdict == Verdict.HTTP2_PREFACE) {
      String reason = "HTTP/2 is not relayed on mesh port " + route.meshPort() + ": X-Lanyard-Peer-Id"
          + " is set on HTTP/1.1 requests only; speak HTTP/1.1 (for gRPC, use a client that"
          + " supports HTTP/1.1 or declare the port raw with LANYARD_INBOUND=" + rawPort
          + ", where no identity header is set)";
      refuse(ctx, () -> Http2Refusal.goAway(ctx, Reason.HTTP2_REFUSED, "lanyard: " + reason));
    } else {
      String reason = "not an HTTP/1.1 request on mesh port " + route.meshPort() + " (first bytes: "
          + head + "); this port parses every request to set X-Lanyard-Peer-Id; for another"
          + " protocol declare the port raw with LANYARD_INBOUND=" + rawPort
          + ", where no identity header is set";
      refuse(ctx, () -> ProxyResponses.refuseInbound(ctx, 400, Reason.NOT_HTTP, "lanyard: " + reason));
    }
  }

  private void refuse(ChannelHandlerContext ctx, Runnable answer) {
    if (jwt == null) {
      answer.run();
      return;
    }
    // The verifier writes the audit record (no token: missing_token), then the refusal goes out.
    jwt.verify(ctx.channel(), null).addListener(done -> answer.run());
  }

  static Verdict classify(ByteBuf in) {
    int start = in.readerIndex();
    int end = in.writerIndex();
    int i = start;
    // RFC 9112 2.2: empty lines before a request line are ignored (so does the request decoder).
    while (i < end && i - start <= MAX_METHOD_LENGTH && (in.getByte(i) == '\r' || in.getByte(i) == '\n')) {
      i++;
    }
    int prefaceBytes = Math.min(end - i, H2_PREFACE.length());
    if (prefaceBytes > 0 && in.toString(i, prefaceBytes, StandardCharsets.ISO_8859_1)
        .equals(H2_PREFACE.substring(0, prefaceBytes))) {
      return prefaceBytes == H2_PREFACE.length() ? Verdict.HTTP2_PREFACE : Verdict.NEED_MORE;
    }
    for (int j = i; j < end; j++) {
      byte b = in.getByte(j);
      if (b == ' ') {
        return j > i ? Verdict.HTTP1 : Verdict.NOT_HTTP;
      }
      if (!isTokenChar(b) || j - i >= MAX_METHOD_LENGTH) {
        return Verdict.NOT_HTTP;
      }
    }
    return i - start > MAX_METHOD_LENGTH ? Verdict.NOT_HTTP : Verdict.NEED_MORE;
  }

  /** RFC 9110 5.6.2 {@code tchar}: what a method name is made of. */
  static boolean isTokenChar(byte b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }

  /** The first bytes for the log: printable ASCII as is, the rest as hex. */
  private static String printable(ByteBuf in) {
    int length = Math.min(in.readableBytes(), 16);
    StringBuilder text = new StringBuilder("\"");
    for (int i = 0; i < length; i++) {
      byte b = in.getByte(in.readerIndex() + i);
      if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
        text.append((char) b);
      } else {
        text.append("\\x").append(ByteBufUtil.hexDump(new byte[] {b}));
      }
    }
    return text.append(in.readableBytes() > length ? "...\"" : "\"").toString();
  }
}
