package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConnectionMetricsTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final AccessLog log = new AccessLog(new PrintStream(new ByteArrayOutputStream(), true,
      StandardCharsets.UTF_8), new ConnectionMetrics(registry));

  @Test
  void openConnectionsClosesByReasonAndBytesAreCountedPerListener() throws IOException {
    EmbeddedChannel idle = new EmbeddedChannel(new AccessLogHandler(log, "inbound:8443", "inbound"));
    EmbeddedChannel normal = new EmbeddedChannel(new AccessLogHandler(log, "inbound:8443", "inbound"));
    EmbeddedChannel proxied = new EmbeddedChannel(
        new AccessLogHandler(log, "outbound-proxy:127.0.0.1:15001", "outbound"));
    assertThat(scrape()).contains(
        "lanyard_sidecar_connections_open{direction=\"inbound\",listener=\"inbound:8443\"} 2.0",
        "lanyard_sidecar_connections_open{direction=\"outbound\","
            + "listener=\"outbound-proxy:127.0.0.1:15001\"} 1.0");

    ConnectionRecord.of(idle).closeReason("idle_timeout: no traffic for PT4S (LANYARD_IDLE_TIMEOUT)");
    ConnectionRecord.of(normal).bytesFromClient.set(100);
    ConnectionRecord.of(normal).bytesToClient.set(2500);
    idle.close();
    normal.close();

    String text = scrape();
    assertThat(text).contains(
        "lanyard_sidecar_connections_open{direction=\"inbound\",listener=\"inbound:8443\"} 0.0",
        "lanyard_sidecar_connections_total{close=\"idle_timeout\",direction=\"inbound\","
            + "listener=\"inbound:8443\"} 1.0",
        "lanyard_sidecar_connections_total{close=\"normal\",direction=\"inbound\","
            + "listener=\"inbound:8443\"} 1.0",
        "lanyard_sidecar_bytes_total{direction=\"inbound\",flow=\"from_client\","
            + "listener=\"inbound:8443\"} 100.0",
        "lanyard_sidecar_bytes_total{direction=\"inbound\",flow=\"to_client\","
            + "listener=\"inbound:8443\"} 2500.0",
        "lanyard_sidecar_connection_duration_seconds_count{direction=\"inbound\","
            + "listener=\"inbound:8443\"} 2");
    assertThat(text).doesNotContain("no traffic for");
    proxied.close();
  }

  @Test
  void closeLabelsAreCodesNeverFreeText() {
    assertThat(ConnectionMetrics.closeLabel(null)).isEqualTo("normal");
    assertThat(ConnectionMetrics.closeLabel("handshake_timeout: handshake timed out after 2000ms"))
        .isEqualTo("handshake_timeout");
    assertThat(ConnectionMetrics.closeLabel("proxy_502: lanyard: refused outbound TLS"))
        .isEqualTo("proxy_502");
    // Messages from exceptions (RelayStarter passes the connect failure's message) and peers.
    assertThat(ConnectionMetrics.closeLabel("Connection refused: localhost/127.0.0.1:8080"))
        .isEqualTo("other");
    assertThat(ConnectionMetrics.closeLabel("spiffe://evil/\"label\"")).isEqualTo("other");
    assertThat(ConnectionMetrics.closeLabel("some_word: from an exception")).isEqualTo("other");
    assertThat(ConnectionMetrics.closeLabel("lanyard: refused outbound TLS to peer spiffe://x/y"))
        .isEqualTo("peer_refused");
  }

  private String scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
