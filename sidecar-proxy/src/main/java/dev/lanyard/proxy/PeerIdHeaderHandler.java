package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Optional;

/**
 * Tells the app who is calling: every request on an HTTP mesh port gets {@code X-Lanyard-Peer-Id}
 * with the peer's verified SPIFFE ID and {@code X-Forwarded-Client-Cert} in Envoy's format ({@link
 * ForwardedClientCert}), and every copy the client sent of an identity header (headers or
 * trailers, any case) is removed first, so the app can trust them: ours, {@code
 * X-Lanyard-Jwt-Subject} (only {@link InboundJwtHandler} sets it), and those of other meshes that
 * apps moving from Istio or Linkerd trust ({@code X-Forwarded-Client-Cert}, {@code l5d-client-id},
 * {@code l5d-server-id}, {@code l5d-remote-ip}). A request the decoder could not parse is answered
 * 400 here and never reaches the app: forwarding a request whose framing we did not understand
 * could smuggle a second one past this handler.
 */
final class PeerIdHeaderHandler extends ChannelInboundHandlerAdapter {
  static final String HEADER = "X-Lanyard-Peer-Id";
  /** Every identity header a client might forge; none passes from the client. */
  static final List<String> IDENTITY_HEADERS = List.of(HEADER, InboundJwtHandler.HEADER,
      ForwardedClientCert.HEADER, "l5d-client-id", "l5d-server-id", "l5d-remote-ip");

  /** Computed at the first request: the connection's peer does not change. */
  private Optional<String> forwardedClientCert;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      String reason = String.valueOf(http.decoderResult().cause().getMessage());
      ReferenceCountUtil.release(msg);
      ProxyResponses.refuseInbound(ctx, 400, Reason.BAD_REQUEST,
          "lanyard: malformed HTTP request: " + reason);
      return;
    }
    if (msg instanceof HttpRequest request) {
      removeIdentityHeaders(request.headers());
      PeerIdentity.of(ctx.channel()).ifPresent(id -> request.headers().set(HEADER, id));
      if (forwardedClientCert == null) {
        forwardedClientCert = ForwardedClientCert.of(ctx.channel());
      }
      forwardedClientCert.ifPresent(value -> request.headers().set(ForwardedClientCert.HEADER, value));
    }
    // contains() first: the shared empty last content has read-only trailers.
    if (msg instanceof LastHttpContent last && hasIdentityHeader(last.trailingHeaders())) {
      removeIdentityHeaders(last.trailingHeaders());
    }
    ctx.fireChannelRead(msg);
  }

  private static void removeIdentityHeaders(HttpHeaders headers) {
    for (String name : IDENTITY_HEADERS) {
      headers.remove(name);
    }
  }

  private static boolean hasIdentityHeader(HttpHeaders headers) {
    for (String name : IDENTITY_HEADERS) {
      if (headers.contains(name)) {
        return true;
      }
    }
    return false;
  }
}
