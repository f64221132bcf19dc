package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Upstream side of the forward proxy: copies decoded responses to the client one read at a time
 * (next read after the flush), and closes the client after a response whose end is marked by
 * the connection closing, or when the client asked for it. The upstream connection is the
 * upstream's own business: when it closes after a framed response, the next request dials anew.
 * Each response carries {@code X-Lanyard-Peer-Id} with the mesh server's verified SPIFFE ID (and
 * never the upstream's own copy of that header).
 */
final class ResponseRelay extends ChannelInboundHandlerAdapter {
  private final Channel client;
  private final ProxyExchange exchange;
  private boolean closeAfterThisResponse;
  private boolean informational;
  private boolean upstreamKeepsConnection;
  /** Lanyard's words for why the upstream failed, for the 502 (a server refused our SVID). */
  private String failure;

  ResponseRelay(Channel client, ProxyExchange exchange) {
    this.client = client;
    this.exchange = exchange;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      ReferenceCountUtil.release(msg);
      ConnectionRecord record = ConnectionRecord.of(client);
      if (record != null) {
        record.close(Reason.BAD_UPSTREAM_RESPONSE,
            String.valueOf(http.decoderResult().cause().getMessage()));
      }
      ctx.close();
      client.close();
      return;
    }
    if (msg instanceof HttpResponse response) {
      exchange.responseStarted = true;
      informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
      int code = response.status().code();
      boolean framed = HttpUtil.isContentLengthSet(response) || HttpUtil.isTransferEncodingChunked(response)
          || code == 204 || code == 304 || informational;
      // Version and Connection are hop-by-hop (RFC 9110 7.6.1, RFC 9112 9.6): the upstream closing
      // its connection (an HTTP/1.0 server, say) says nothing about the client's connection, which
      // stays open unless the body is delimited by the close or the client asked for close.
      closeAfterThisResponse = !framed || exchange.closeClientAfterResponse;
      upstreamKeepsConnection = HttpUtil.isKeepAlive(response);
      // The app learns whom it reached: the server's verified SPIFFE ID for a mesh upstream,
      // nothing for a plain one; a copy the upstream sent itself is never passed on.
      response.headers().remove(PeerIdHeaderHandler.HEADER);
      PeerIdentity.of(ctx.channel()).ifPresent(id -> response.headers().set(PeerIdHeaderHandler.HEADER, id));
      response.setProtocolVersion(HttpVersion.HTTP_1_1);
      response.headers().remove("Keep-Alive");
      if (closeAfterThisResponse) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      } else {
        response.headers().remove(HttpHeaderNames.CONNECTION);
      }
    }
    boolean last = msg instanceof LastHttpContent && !informational;
    if (last) {
      exchange.responseStarted = false;
      exchange.outstanding = Math.max(0, exchange.outstanding - 1);
      if (!upstreamKeepsConnection) {
        // Close now, not when its FIN arrives: the client's next request must dial anew rather
        // than race the closing connection.
        ctx.close();
      }
    }
    client.writeAndFlush(msg).addListener((ChannelFutureListener) written -> {
      if (!written.isSuccess()) {
        ctx.close();
        return;
      }
      if (last && closeAfterThisResponse) {
        ctx.close();
        client.close();
        return;
      }
      if (ctx.channel().isActive()) {
        ctx.channel().read();
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (exchange.responseStarted) {
      // The body was cut off: the client must not take a partial response for a whole one.
      client.close();
    } else if (exchange.outstanding > 0 && client.isActive()) {
      ChannelHandlerContext clientProxy = client.pipeline().context(ForwardProxyHandler.class);
      if (clientProxy != null) {
        ProxyResponses.sendAndClose(clientProxy, 502, failure != null ? failure
            : "lanyard: upstream " + exchange.destination + " closed the connection before"
                + " answering");
      } else {
        client.close();
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause.getMessage() != null && cause.getMessage().startsWith("lanyard:")) {
      // Lanyard's words for the failure (PeerAlertHandler: the server refused our SVID).
      failure = cause.getMessage();
    }
    ConnectionRecord record = ConnectionRecord.of(client);
    if (record != null) {
      record.close(Reason.UPSTREAM_ERROR, String.valueOf(cause));
    }
    ctx.close();
  }
}
