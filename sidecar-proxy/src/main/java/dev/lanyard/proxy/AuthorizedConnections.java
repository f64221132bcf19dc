package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Optional;
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
   * Takes a place for {@code channel}, whose peer {@code peer} was just authorized, until it
   * closes; or, when the port is full, returns the refusal naming the peer (the caller closes
   * the connection with it, before the app is dialled).
   */
  Optional<String> admit(Channel channel, String peer) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      metrics.refused(metricsListener, Reason.CONNECTION_LIMIT);
      return Optional.of(listener + " already has " + max
          + " connections of authorized peers open (" + SidecarConfig.MAX_CONNECTIONS + "=" + max
          + "); refused " + peer + " from " + source(channel));
    }
    channel.closeFuture().addListener(closed -> open.decrementAndGet());
    return Optional.empty();
  }

  int open() {
    return open.get();
  }

  private static String source(Channel channel) {
    return channel.remoteAddress() instanceof InetSocketAddress address
        ? address.getAddress().getHostAddress() : String.valueOf(channel.remoteAddress());
  }
}
