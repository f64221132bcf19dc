package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

/**
 * Keeps an HTTP mesh port on HTTP/1.x, where every request is labelled, unless the app accepts a
 * WebSocket upgrade:
 * <ul>
 *   <li>{@code Upgrade} tokens other than {@code websocket} ({@code h2c} above all) are removed
 *       and the request is served as HTTP/1.1 ({@link Upgrades});
 *   <li>{@code CONNECT} is refused with 405: a tunnel's bytes are not requests;
 *   <li>a version other than HTTP/1.0 or 1.1 (e.g. {@code PRI * HTTP/2.0} pipelined behind a
 *       request) is refused with 505.
 * </ul>
 * A WebSocket upgrade request goes on labelled; the connection turns raw only once the app has
 * answered it {@code 101} ({@link InboundRequestDecoder}, {@link UpgradeTracker}).
 */
final class HttpUpgradeSwitch extends ChannelInboundHandlerAdapter {
  private boolean refused;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request && !request.decoderResult().isFailure()) {
      String peer = PeerIdentity.of(ctx.channel()).orElse("(no SPIFFE ID)");
      if (HttpMethod.CONNECT.equals(request.method())) {
        refuse(ctx, msg, 405, Reason.CONNECT_REFUSED, "lanyard: CONNECT from " + peer + " refused: a mesh"
            + " port relays HTTP requests, each labelled with X-Lanyard-Peer-Id, and a tunnel's"
            + " bytes are not; for a raw TCP service declare the port raw (meshPort:appPort/tcp)");
        return;
      }
      HttpVersion version = request.protocolVersion();
      if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
        refuse(ctx, msg, 505, Reason.VERSION_REFUSED, "lanyard: " + version + " request from " + peer
            + " refused: a mesh port serves HTTP/1.0 and HTTP/1.1 only");
        return;
      }
      // Declined quietly, as RFC 9110 lets a server: the client gets its answer over HTTP/1.1.
      Upgrades.keepOnlyWebSocket(request.headers());
    }
    ctx.fireChannelRead(msg);
  }

  private void refuse(ChannelHandlerContext ctx, Object msg, int status, Reason code, String reason) {
    refused = true;
    ReferenceCountUtil.release(msg);
    ProxyResponses.refuseInbound(ctx, status, code, reason);
  }
}
