package dev.lanyard.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.cert.Certificate;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;

/**
 * On an upstream connection, right after the TLS handler: when the server refuses our X.509-SVID
 * with a TLS alert (during the handshake, or in TLS 1.3 on the first read after it), spiffe-tls's
 * {@code LanyardTls#refusedByPeer} words it once per connection (one WARN line, one {@code
 * tls.refused_by_peer} audit record) and the failure passed on carries those words, so the access
 * log's close reason and the proxy's 502 name the server, the alert and the likely cause.
 */
final class PeerAlertHandler extends ChannelInboundHandlerAdapter {
  /** spiffe-tls's {@code LanyardTls#refusedByPeer}. */
  @FunctionalInterface
  interface Words {
    Optional<String> refusedByPeer(String peerAddress, String peerSpiffeId, String tlsMessage);
  }

  static final Words NONE = (address, spiffeId, message) -> Optional.empty();

  private final HostAndPort destination;
  private final Words words;
  private String explained;

  PeerAlertHandler(HostAndPort destination, Words words) {
    this.destination = destination;
    this.words = words;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent && !((SslHandshakeCompletionEvent) evt).isSuccess()) {
      Throwable cause = ((SslHandshakeCompletionEvent) evt).cause();
      Optional<String> reworded = explain(ctx, cause);
      if (reworded.isPresent()) {
        SSLHandshakeException explainedFailure = new SSLHandshakeException(reworded.get());
        explainedFailure.initCause(cause);
        ctx.fireUserEventTriggered(new SslHandshakeCompletionEvent(explainedFailure));
        return;
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Optional<String> reworded = explain(ctx, cause);
    ctx.fireExceptionCaught(reworded.isPresent() ? new SSLException(reworded.get(), cause) : cause);
  }

  /** The words for a certificate alert the server sent, asked for once per connection. */
  private Optional<String> explain(ChannelHandlerContext ctx, Throwable cause) {
    if (explained != null) {
      return Optional.of(explained);
    }
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof SSLException && t.getMessage() != null) {
        Optional<String> reworded =
            words.refusedByPeer(destination.toString(), serverId(ctx), t.getMessage());
        if (reworded.isPresent()) {
          explained = reworded.get();
          return reworded;
        }
      }
    }
    return Optional.empty();
  }

  /** The server's SPIFFE ID when our trust manager verified its SVID already, else null. */
  private static String serverId(ChannelHandlerContext ctx) {
    SslHandler tls = ctx.pipeline().get(SslHandler.class);
    if (tls == null) {
      return null;
    }
    try {
      SSLSession session = tls.engine().getSession();
      Certificate[] chain = session.getPeerCertificates();
      return dev.lanyard.tls.SpiffeIdClaim.ofLeaf(chain).orElse(null);
    } catch (Exception e) {
      return null; // no verified peer certificate (yet)
    }
  }
}
