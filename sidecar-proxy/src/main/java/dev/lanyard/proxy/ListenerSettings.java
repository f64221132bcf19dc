package dev.lanyard.proxy;

import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * What every listener's client connections share: the access log, the registry of open
 * connections (for the drain), the connection limit and the idle timeout. It adds the handlers
 * that come first in every client pipeline.
 */
final class ListenerSettings {
  final SidecarConfig config;
  final AccessLog accessLog;
  final ChannelGroup openConnections;

  ListenerSettings(SidecarConfig config, AccessLog accessLog, ChannelGroup openConnections) {
    this.config = config;
    this.accessLog = accessLog;
    this.openConnections = openConnections;
  }

  /** The access record first (so later handlers can fill it), then the limit. */
  void addAccounting(ChannelPipeline pipeline, String listener, String direction,
      ConnectionLimiter limiter) {
    addAccounting(pipeline, listener, direction);
    pipeline.addLast("limit", limiter);
  }

  /** The access record and the drain registry only: mesh ports limit after the handshake. */
  void addAccounting(ChannelPipeline pipeline, String listener, String direction) {
    openConnections.add(pipeline.channel());
    pipeline.addLast("access-log", new AccessLogHandler(accessLog, listener, direction));
  }

  ConnectionMetrics metrics() {
    return accessLog.metrics();
  }

  /** After TLS (if any): plaintext byte counts, then the idle timeout. */
  void addCountingAndIdle(ChannelPipeline pipeline) {
    pipeline.addLast("bytes", new ByteCounter());
    pipeline.addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(),
        TimeUnit.MILLISECONDS));
    pipeline.addLast("idle-close", new IdleCloser(config.idleTimeout().toString()));
  }
}
