package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.function.Function;

/**
 * Opens the far side when the client connection becomes active and then replaces itself with a
 * {@link RelayHandler}. Until the far side is ready it holds what was already read (with {@code
 * AUTO_READ} off, at most what one read produced, e.g. the request that arrived with the TLS
 * Finished message) and asks for nothing more.
 */
final class RelayStarter extends ChannelInboundHandlerAdapter {
  private final Function<Channel, Future<Channel>> openTarget;
  private final Queue<Object> held = new ArrayDeque<>();
  private Object heldInputShutdown;
  private Channel target;

  RelayStarter(Function<Channel, Future<Channel>> openTarget) {
    this.openTarget = openTarget;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.fireChannelActive();
    openTarget.apply(ctx.channel()).addListener(done -> {
      if (done.isSuccess()) {
        start(ctx, (Channel) done.getNow());
      } else {
        ConnectionRecord record = ConnectionRecord.of(ctx.channel());
        if (record != null) {
          if (done.cause() instanceof PeerAuthorizationHandler.PeerRefusedException refusal) {
            record.close(refusal.reason(), refusal.sentence());
          } else {
            record.close(Reason.ERROR, String.valueOf(done.cause()));
          }
        }
        releaseHeld();
        ctx.close();
      }
    });
  }

  private void start(ChannelHandlerContext ctx, Channel opened) {
    target = opened;
    Channel client = ctx.channel();
    if (!client.isActive()) {
      releaseHeld();
      opened.close();
      return;
    }
    ConnectionRecord record = ConnectionRecord.of(client);
    if (record != null) {
      record.upstream = String.valueOf(opened.remoteAddress());
      PeerIdentity.of(opened).ifPresent(id -> record.peerSpiffeId = id);
    }
    RelayHandler relay = new RelayHandler(opened);
    ctx.pipeline().replace(this, "relay", relay);
    while (!held.isEmpty()) {
      opened.write(held.poll());
    }
    opened.flush();
    if (heldInputShutdown != null) {
      ChannelHandlerContext relayContext = client.pipeline().context(relay);
      relay.userEventTriggered(relayContext, heldInputShutdown);
    }
    client.read();
    opened.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    held.add(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ChannelInputShutdownEvent || event instanceof SslCloseCompletionEvent) {
      heldInputShutdown = event;
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    if (target != null) {
      target.close();
    }
    ctx.fireChannelInactive();
  }

  private void releaseHeld() {
    while (!held.isEmpty()) {
      ReferenceCountUtil.release(held.poll());
    }
  }
}
