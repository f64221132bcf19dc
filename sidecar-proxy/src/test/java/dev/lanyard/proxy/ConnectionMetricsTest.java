package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import io.netty.channel.embedded.EmbeddedChannel;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

    ConnectionRecord.of(idle).close(Reason.IDLE_TIMEOUT, "no traffic for PT4S (LANYARD_IDLE_TIMEOUT)");
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

  /**
   * The label is the reason's code, carried as data from the handler that closed the connection:
   * the codes the hand-kept list used to miss (counted as {@code other}) get their own series, and
   * no free text (a peer's ID, an exception's message) ever becomes a label value.
   */
  @Test
  void closeLabelsAreTheReasonsCodesNeverFreeText() throws IOException {
    List<Reason> formerlyOther = List.of(Reason.HTTP2_REFUSED, Reason.NOT_HTTP,
        Reason.CONNECT_REFUSED, Reason.VERSION_REFUSED, Reason.UPGRADE_REFUSED,
        Reason.CLOSED_BEFORE_HANDSHAKE, Reason.APP_UNREACHABLE, Reason.CONNECT_FAILED);
    for (Reason reason : formerlyOther) {
      closeWith(record -> record.close(reason, "spiffe://evil/\"label\" " + reason));
    }
    closeWith(record -> record.closeWithProxyAnswer(502, "lanyard: refused outbound TLS"));
    closeWith(record -> record.close(Reason.ERROR, "Connection refused: localhost/127.0.0.1:8080"));

    String text = scrape();
    for (Reason reason : formerlyOther) {
      assertThat(text).contains("lanyard_sidecar_connections_total{close=\"" + reason.code()
          + "\",direction=\"inbound\",listener=\"inbound:8443\"} 1.0");
    }
    assertThat(text).contains("close=\"proxy_502\"", "close=\"error\"")
        .doesNotContain("other", "evil", "Connection refused");
  }

  @Test
  void theFirstReasonGivenIsKeptWithItsSentence() {
    ConnectionRecord record = new ConnectionRecord("inbound:8443", "inbound");
    record.close(Reason.PEER_REFUSED, "lanyard: refused inbound TLS from peer spiffe://td/x");
    record.close(Reason.ERROR, "the cleanup that followed");

    assertThat(record.closeLabel).isEqualTo("peer_refused");
    assertThat(record.closeReason)
        .isEqualTo("peer_refused: lanyard: refused inbound TLS from peer spiffe://td/x");
  }

  private void closeWith(java.util.function.Consumer<ConnectionRecord> close) {
    EmbeddedChannel channel = new EmbeddedChannel(new AccessLogHandler(log, "inbound:8443",
        "inbound"));
    close.accept(ConnectionRecord.of(channel));
    channel.close();
  }

  private String scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
