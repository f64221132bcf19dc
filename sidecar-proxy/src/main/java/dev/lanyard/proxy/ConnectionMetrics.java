package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sidecar's connection metrics on the admin endpoint's {@code /metrics}, next to the
 * identity metrics, labelled by listener ({@code inbound:<port>}, {@code outbound:<address>},
 * {@code outbound-proxy}: from the configuration, so bounded) and direction:
 *
 * <ul>
 *   <li>{@code lanyard_sidecar_connections_open}: client connections open now;
 *   <li>{@code lanyard_sidecar_connections_total{close}}: closed client connections by why they
 *       closed ({@code normal}, {@code handshake_timeout}, {@code idle_timeout}, {@code peer_refused},
 *       {@code proxy_502}, ...: a {@link Reason} code, the access log's {@code close} up to its
 *       first colon; never free text);
 *   <li>{@code lanyard_sidecar_bytes_total{flow}}: plaintext bytes {@code from_client} and
 *       {@code to_client};
 *   <li>{@code lanyard_sidecar_connection_duration_seconds}: how long connections lived;
 *   <li>{@code lanyard_sidecar_connections_refused_total{reason}}: mesh-port connections refused
 *       by a limit ({@link #REFUSAL_REASONS}); those refused before TLS have no access-log line;
 *   <li>{@code lanyard_sidecar_handshakes_pending}: mesh-port connections in their TLS handshake.
 * </ul>
 */
final class ConnectionMetrics {
  /** Why a mesh port refused a connection: the limit that was reached. */
  static final List<Reason> REFUSAL_REASONS = List.of(Reason.HANDSHAKE_LIMIT_PER_SOURCE,
      Reason.HANDSHAKE_LIMIT, Reason.CONNECTION_LIMIT);

  private final Gauge open;
  private final Counter closed;
  private final Counter bytes;
  private final Histogram duration;
  private final Counter refused;
  private final Map<String, HandshakeBudget> handshakes = new ConcurrentHashMap<>();

  ConnectionMetrics(PrometheusRegistry registry) {
    open = Gauge.builder()
        .name("lanyard_sidecar_connections_open")
        .help("Client connections open now")
        .labelNames("listener", "direction")
        .register(registry);
    closed = Counter.builder()
        .name("lanyard_sidecar_connections_total")
        .help("Client connections closed, by why they closed")
        .labelNames("listener", "direction", "close")
        .register(registry);
    bytes = Counter.builder()
        .name("lanyard_sidecar_bytes_total")
        .help("Plaintext bytes relayed, from and to the client")
        .labelNames("listener", "direction", "flow")
        .register(registry);
    duration = Histogram.builder()
        .name("lanyard_sidecar_connection_duration_seconds")
        .help("How long client connections lived")
        .labelNames("listener", "direction")
        .classicUpperBounds(0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600)
        .register(registry);
    refused = Counter.builder()
        .name("lanyard_sidecar_connections_refused_total")
        .help("Mesh-port connections refused by a limit, by which limit")
        .labelNames("listener", "reason")
        .register(registry);
    GaugeWithCallback.builder()
        .name("lanyard_sidecar_handshakes_pending")
        .help("Mesh-port connections in their TLS handshake now")
        .labelNames("listener")
        .callback(callback -> handshakes.forEach((listener, budget) ->
            callback.call(budget.pending(), listener)))
        .register(registry);
  }

  /** A mesh port: its refusal counts start at 0 (a series born at 1 hides from rate()). */
  void watch(String listener, HandshakeBudget budget) {
    handshakes.put(listener, budget);
    REFUSAL_REASONS.forEach(reason -> refused.initLabelValues(listener, reason.code()));
  }

  void refused(String listener, Reason reason) {
    refused.labelValues(listener, reason.code()).inc();
  }

  void opened(ConnectionRecord record) {
    open.labelValues(record.listener, record.direction).inc();
  }

  void closed(ConnectionRecord record, long durationNanos) {
    open.labelValues(record.listener, record.direction).dec();
    closed.labelValues(record.listener, record.direction, record.closeLabel == null ? Reason.NORMAL.code() : record.closeLabel).inc();
    bytes.labelValues(record.listener, record.direction, "from_client")
        .inc(record.bytesFromClient.get());
    bytes.labelValues(record.listener, record.direction, "to_client")
        .inc(record.bytesToClient.get());
    duration.labelValues(record.listener, record.direction).observe(durationNanos / 1e9);
  }
}
