package dev.lanyard.proxy;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connections of authorized peers on one mesh port, at most {@code LANYARD_MAX_CONNECTIONS}.
 * A connection counts from the moment its peer is authorized (mTLS handshake done, SVID
 * verified, {@code LANYARD_ALLOWED_PEERS} applied) until it closes, so connections still in
 * their handshake ({@link HandshakeBudget}) can never take an authorized peer's place.
 */
final class AuthorizedConnections {
  private final String listener;
  private final String metricsListener;
  private final int max;
  private final ConnectionMetrics metrics;
  private final AtomicInteger open = new AtomicInteger();

  AuthorizedConnections(String listener, String metricsListener, int max, ConnectionMetrics metrics) {
    this.listener = listener;
    this.metricsListener = metricsListener;
    this.max = max;
    this.metrics = metrics;
  }

  /**
   * Completes with the peer's SPIFFE ID once {@code authorized} did and there is room; fails with
   * the refusal (and closes the connection) when the port is full. The app is dialled only after
   * this, so a refused connection never reaches it.
   */
  Future<String> admit(Channel channel, Future<String> authorized) {
    Promise<String> admitted = channel.eventLoop().newPromise();
    authorized.addListener(done -> {
      if (!done.isSuccess()) {
        admitted.tryFailure(done.cause());
        return;
      }
      String peer = (String) done.getNow();
      if (open.incrementAndGet() > max) {
        open.decrementAndGet();
        String reason = "connection_limit: " + listener + " already has " + max
            + " connections of authorized peers open (" + SidecarConfig.MAX_CONNECTIONS + "=" + max
            + "); refused " + peer + " from " + source(channel);
        metrics.refused(metricsListener, "connection_limit");
        ConnectionRecord record = ConnectionRecord.of(channel);
        if (record != null) {
          record.closeReason(reason);
        }
        channel.close();
        admitted.tryFailure(new PeerAuthorizationHandler.PeerRefusedException(reason));
        return;
      }
      channel.closeFuture().addListener(closed -> open.decrementAndGet());
      admitted.trySuccess(peer);
    });
    return admitted;
  }

  int open() {
    return open.get();
  }

  private static String source(Channel channel) {
    return channel.remoteAddress() instanceof InetSocketAddress address
        ? address.getAddress().getHostAddress() : String.valueOf(channel.remoteAddress());
  }
}
