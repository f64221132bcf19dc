package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closes a new client connection at once when its listener already has {@code max} open: a
 * flood of connections must not exhaust file descriptors or memory shared with the workload.
 * For the loopback listeners (outbound proxy, static routes), whose clients are the pod's own
 * processes; a mesh port counts handshakes and authorized peers apart ({@link HandshakeBudget},
 * {@link AuthorizedConnections}).
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private final String listener;
  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  ConnectionLimiter(String listener, int max) {
    this.listener = listener;
    this.max = max;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      ConnectionRecord record = ConnectionRecord.of(ctx.channel());
      if (record != null) {
        record.close(Reason.CONNECTION_LIMIT, listener + " already has " + max
            + " open connections (" + SidecarConfig.MAX_CONNECTIONS + ")");
      }
      ctx.close();
      return;
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    open.decrementAndGet();
    ctx.fireChannelInactive();
  }

  int open() {
    return open.get();
  }
}
