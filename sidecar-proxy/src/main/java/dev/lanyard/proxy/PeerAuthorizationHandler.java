package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.concurrent.Promise;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Turns the end of a mesh TLS handshake into a decision the relay can act on. The decision itself
 * was made inside the handshake by spiffe-tls's trust manager (SVID verification and {@code
 * LANYARD_ALLOWED_PEERS}); this handler only requires that the peer was a SPIFFE peer (the trust
 * manager lets non-SPIFFE servers through to Web PKI, which a mesh hop must not accept), records
 * the verified SPIFFE ID on the channel, and completes {@code authorized} with it, or fails it
 * with the refusal reason and closes the channel.
 */
final class PeerAuthorizationHandler extends ChannelInboundHandlerAdapter {
  private final Promise<String> authorized;

  PeerAuthorizationHandler(Promise<String> authorized) {
    this.authorized = authorized;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    // AUTO_READ is off everywhere; the server side of a handshake needs a first read to start.
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (!(event instanceof SslHandshakeCompletionEvent completion)) {
      ctx.fireUserEventTriggered(event);
      return;
    }
    if (!completion.isSuccess()) {
      refuse(ctx, reasonOf(completion.cause()));
      return;
    }
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    Optional<String> peer = PeerIdentity.fromSession(ssl.engine().getSession());
    if (peer.isEmpty()) {
      // Never reached with spiffe-tls's trust managers (the mesh-hop one refuses such a server in
      // the trust decision, mesh_hop_requires_svid; a mesh port requires a client SVID): kept so
      // that a context built with any other trust manager still fails closed.
      refuse(ctx, new PeerRefusedException(Reason.NOT_SPIFFE_PEER, "the peer presented no SPIFFE"
          + " ID; a mesh hop requires an X.509-SVID"));
      return;
    }
    ctx.channel().attr(PeerIdentity.PEER_ID).set(peer.get());
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.peerSpiffeId = peer.get();
    }
    ctx.pipeline().remove(this);
    authorized.trySuccess(peer.get());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    authorized.tryFailure(new PeerRefusedException(Reason.CLOSED_BEFORE_HANDSHAKE, "the peer"
        + " closed the connection before the TLS handshake finished"));
    ctx.fireChannelInactive();
  }

  /**
   * A failed handshake reaches us twice: as the completion event (the refusal, recorded above)
   * and as the exception the TLS decoder throws (a DecoderException around an SSLException:
   * SSLHandshakeException for a refused peer, NotSslRecordException for bytes that are not TLS,
   * "Illegal packet length" for an oversized record). The second must stop here: passed on, it
   * reaches the pipeline's tail and Netty logs a WARNING with a long stack trace for every
   * refused peer or port scanner, burying the one access-log line that already says who was
   * refused and why (and letting anyone who can reach a mesh port flood the log).
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        ctx.close();
        return;
      }
    }
    ctx.fireExceptionCaught(cause);
  }

  private void refuse(ChannelHandlerContext ctx, PeerRefusedException refusal) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.close(refusal.reason(), refusal.sentence());
    }
    authorized.tryFailure(refusal);
    ctx.close();
  }

  /**
   * The sentence an operator needs: spiffe-tls's own refusal ({@code lanyard: refused inbound TLS
   * from peer spiffe://...}) when the trust manager refused, wherever the TLS engine wrapped it.
   */
  static PeerRefusedException reasonOf(Throwable cause) {
    if (cause instanceof SslHandshakeTimeoutException) {
      return new PeerRefusedException(Reason.HANDSHAKE_TIMEOUT, cause.getMessage());
    }
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().startsWith("lanyard:")) {
        return new PeerRefusedException(Reason.PEER_REFUSED, t.getMessage());
      }
    }
    return new PeerRefusedException(Reason.HANDSHAKE_FAILED, String.valueOf(cause));
  }

  /**
   * Why a peer or upstream was not accepted: a {@link Reason} and a sentence (the message is
   * {@code code: sentence}, as the access log writes it); no stack trace is useful here.
   */
  static final class PeerRefusedException extends Exception {
    private final Reason reason;
    private final String sentence;

    PeerRefusedException(Reason reason, String sentence) {
      super(reason.code() + ": " + sentence, null, false, false);
      this.reason = reason;
      this.sentence = sentence;
    }

    Reason reason() {
      return reason;
    }

    String sentence() {
      return sentence;
    }
  }
}
