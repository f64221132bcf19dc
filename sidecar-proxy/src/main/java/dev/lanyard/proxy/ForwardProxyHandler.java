package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import dev.lanyard.tls.MeshDestinations;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;
import java.util.function.Consumer;

/**
 * The client side of the HTTP forward proxy: decides each request with {@link ProxyRequest},
 * keeps one upstream per client connection (replaced when a request names another destination),
 * and streams request bodies with the same read-after-flush backpressure as {@link RelayHandler}.
 * A {@code CONNECT} to a non-mesh host turns the connection into a raw {@link RelayHandler} tunnel.
 * A request that gets a JWT-SVID ({@link OutboundJwt}) is held, with what follows it, until its
 * token is there: the same hold as for an upstream still connecting.
 */
final class ForwardProxyHandler extends ChannelInboundHandlerAdapter {
  private final UpstreamOpener upstreams;
  private final MeshDestinations destinations;
  private final OutboundJwt jwt;
  private final Queue<Object> held = new ArrayDeque<>();
  private ProxyExchange exchange;
  private Channel upstream;
  private boolean upstreamReady;
  /** Requests waiting for their JWT-SVID; nothing is sent upstream while any is. */
  private int tokensPending;
  /** After a refusal or a CONNECT: the rest of that request (its empty body) is dropped. */
  private boolean discarding;

  ForwardProxyHandler(UpstreamOpener upstreams, MeshDestinations destinations, OutboundJwt jwt) {
    this.upstreams = upstreams;
    this.destinations = destinations;
    this.jwt = jwt;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      ReferenceCountUtil.release(msg);
      discarding = true;
      ProxyResponses.sendAndClose(ctx, 400, "lanyard: malformed HTTP request: "
          + ProxyRequest.printable(String.valueOf(http.decoderResult().cause().getMessage())));
      return;
    }
    if (msg instanceof HttpRequest request) {
      discarding = false;
      ProxyRequest decision = ProxyRequest.parse(request.method().name(), request.uri(), destinations);
      switch (decision.kind()) {
        case REFUSED -> {
          ReferenceCountUtil.release(msg);
          discarding = true;
          ProxyResponses.sendAndClose(ctx, decision.status(), decision.reason());
        }
        case TUNNEL -> {
          ReferenceCountUtil.release(msg);
          discarding = true;
          openTunnel(ctx, decision.destination());
        }
        default -> forward(ctx, decision, request);
      }
      return;
    }
    if (discarding) {
      ReferenceCountUtil.release(msg);
      return;
    }
    send(ctx, msg);
  }

  private void forward(ChannelHandlerContext ctx, ProxyRequest decision, HttpRequest request) {
    request.setUri(decision.originForm());
    request.headers().set(HttpHeaderNames.HOST, decision.destination().port() == 80
        ? decision.destination().host() : decision.destination().toString());
    request.headers().remove("Proxy-Connection");
    request.headers().remove(HttpHeaderNames.PROXY_AUTHORIZATION);
    boolean reuse = upstream != null && upstream.isActive()
        && decision.destination().equals(exchange.destination);
    if (!reuse) {
      connect(ctx, decision);
    }
    exchange.outstanding++;
    exchange.closeClientAfterResponse |= !HttpUtil.isKeepAlive(request);
    addJwtSvid(ctx, decision, request);
    send(ctx, request);
  }

  /**
   * {@code LANYARD_JWT_AUDIENCES}: a mesh request (mTLS) to a matching host without the app's own
   * Authorization waits for its token; every other matching request is decided at once (a plain
   * destination is refused a token, with an audit record; the app's own header is kept).
   */
  private void addJwtSvid(ChannelHandlerContext ctx, ProxyRequest decision, HttpRequest request) {
    HostAndPort destination = decision.destination();
    if (!jwt.applies(destination.host())) {
      return;
    }
    boolean mesh = decision.kind() == ProxyRequest.Kind.MESH;
    boolean ownAuthorization = request.headers().contains(HttpHeaderNames.AUTHORIZATION);
    if (!mesh || ownAuthorization) {
      jwt.decideWithoutToken(destination, mesh, ownAuthorization);
      return;
    }
    tokensPending++;
    jwt.authorization(ctx.executor(), destination).addListener(done -> {
      tokensPending--;
      if (!ctx.channel().isActive()) {
        return;
      }
      if (done.isSuccess()) {
        @SuppressWarnings("unchecked")
        Optional<String> value = (Optional<String>) done.getNow();
        value.ifPresent(bearer -> request.headers().set(HttpHeaderNames.AUTHORIZATION, bearer));
      }
      if (upstreamReady && tokensPending == 0) {
        flushHeld(ctx);
      }
    });
  }

  private void connect(ChannelHandlerContext ctx, ProxyRequest decision) {
    if (upstream != null) {
      upstream.close();
    }
    ProxyExchange fresh = new ProxyExchange();
    fresh.destination = decision.destination();
    exchange = fresh;
    upstream = null;
    upstreamReady = false;
    Channel client = ctx.channel();
    Consumer<ChannelPipeline> handlers = pipeline -> {
      pipeline.addLast("http", new HttpClientCodec());
      pipeline.addLast("response-relay", new ResponseRelay(client, fresh));
    };
    ConnectionRecord record = ConnectionRecord.of(client);
    if (record != null) {
      record.upstream = decision.destination().toString();
    }
    Future<Channel> opened = decision.kind() == ProxyRequest.Kind.MESH
        ? upstreams.mtls(client, decision.destination(), handlers)
        : upstreams.plain(client, decision.destination(), handlers);
    opened.addListener(done -> {
      if (exchange != fresh) {
        // A later request already replaced this destination.
        if (done.isSuccess()) {
          ((Channel) done.getNow()).close();
        }
        return;
      }
      if (!done.isSuccess()) {
        releaseHeld();
        ProxyResponses.sendAndClose(ctx, 502, "lanyard: cannot reach " + fresh.destination + ": "
            + done.cause().getMessage());
        return;
      }
      upstream = (Channel) done.getNow();
      upstreamReady = true;
      if (record != null) {
        PeerIdentity.of(upstream).ifPresent(id -> record.peerSpiffeId = id);
      }
      if (tokensPending == 0) {
        flushHeld(ctx);
      }
      upstream.read();
    });
  }

  private void send(ChannelHandlerContext ctx, Object msg) {
    if (!upstreamReady || tokensPending > 0) {
      held.add(msg);
      return;
    }
    upstream.writeAndFlush(msg).addListener((ChannelFutureListener) written -> {
      if (written.isSuccess()) {
        ctx.channel().read();
      } else {
        ctx.close();
      }
    });
  }

  private void flushHeld(ChannelHandlerContext ctx) {
    if (held.isEmpty()) {
      ctx.channel().read();
      return;
    }
    while (held.size() > 1) {
      upstream.write(held.poll());
    }
    send(ctx, held.poll());
  }

  /**
   * Replies 200 once the TCP connection stands, then takes the HTTP codec and this handler out so
   * that the client's TLS bytes flow untouched both ways.
   */
  private void openTunnel(ChannelHandlerContext ctx, HostAndPort destination) {
    Channel client = ctx.channel();
    ConnectionRecord record = ConnectionRecord.of(client);
    if (record != null) {
      record.upstream = "tunnel " + destination;
    }
    upstreams.plain(client, destination, pipeline -> pipeline.addLast("relay", new RelayHandler(client)))
        .addListener(done -> {
          if (!done.isSuccess()) {
            ProxyResponses.sendAndClose(ctx, 502, "lanyard: cannot open a tunnel to " + destination
                + ": " + done.cause().getMessage());
            return;
          }
          Channel tunnel = (Channel) done.getNow();
          upstream = tunnel;
          ChannelPipeline pipeline = client.pipeline();
          pipeline.addAfter(ctx.name(), "relay", new RelayHandler(tunnel));
          pipeline.remove(this);
          pipeline.remove(HttpServerCodec.class);
          client.writeAndFlush(Unpooled.copiedBuffer(
              "HTTP/1.1 200 Connection Established\r\n\r\n", StandardCharsets.US_ASCII))
              .addListener((ChannelFutureListener) written -> {
                if (written.isSuccess()) {
                  client.read();
                  tunnel.read();
                } else {
                  tunnel.close();
                }
              });
        });
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event == DrainEvent.INSTANCE) {
      boolean between = exchange == null || (exchange.outstanding == 0 && !exchange.responseStarted);
      if (between && held.isEmpty()) {
        ConnectionRecord record = ConnectionRecord.of(ctx.channel());
        if (record != null) {
          record.close(Reason.DRAIN, "idle keep-alive connection closed");
        }
        ctx.close();
      } else if (exchange != null) {
        exchange.closeClientAfterResponse = true;
      }
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    if (upstream != null) {
      upstream.close();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ConnectionRecord record = ConnectionRecord.of(ctx.channel());
    if (record != null) {
      record.close(Reason.ERROR, String.valueOf(cause));
    }
    ctx.close();
  }

  private void releaseHeld() {
    while (!held.isEmpty()) {
      ReferenceCountUtil.release(held.poll());
    }
  }
}
