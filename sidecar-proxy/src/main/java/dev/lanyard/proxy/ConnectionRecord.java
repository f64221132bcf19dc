package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the access log says about one client connection, filled in by the handlers that know each
 * part (byte counter, peer authorization, the relay) and written once when it closes.
 */
final class ConnectionRecord {
  static final AttributeKey<ConnectionRecord> KEY = AttributeKey.valueOf("lanyard.connection");

  final String listener;
  final String direction;
  final long startNanos = System.nanoTime();
  final long startMillis = System.currentTimeMillis();
  final AtomicLong bytesFromClient = new AtomicLong();
  final AtomicLong bytesToClient = new AtomicLong();
  volatile String client;
  volatile String upstream;
  volatile String peerSpiffeId;
  /** Why it closed ({@code code: sentence}, the access log's {@code close}); null: normally. */
  volatile String closeReason;
  /** The metric label of {@link #closeReason}: the reason's code, {@code proxy_<status>}. */
  volatile String closeLabel;

  ConnectionRecord(String listener, String direction) {
    this.listener = listener;
    this.direction = direction;
  }

  static ConnectionRecord of(Channel channel) {
    return channel.attr(KEY).get();
  }

  /** Keeps the first reason given: the cause, not the cleanup that follows it. */
  void close(Reason reason, String sentence) {
    close(reason.code(), sentence);
  }

  /** The forward proxy answered {@code status} itself ({@link Reason#PROXY_ANSWER}). */
  void closeWithProxyAnswer(int status, String sentence) {
    close(Reason.PROXY_ANSWER.label(status), sentence);
  }

  private synchronized void close(String label, String sentence) {
    if (closeReason == null) {
      closeLabel = label;
      closeReason = label + ": " + sentence;
    }
  }
}
