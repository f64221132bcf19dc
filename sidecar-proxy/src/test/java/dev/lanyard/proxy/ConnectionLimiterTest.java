package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import io.netty.channel.embedded.EmbeddedChannel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConnectionLimiterTest {
  @Test
  void connectionsBeyondTheLimitAreClosedAndLoggedWithTheReason() {
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    AccessLog log = new AccessLog(new PrintStream(lines, true, StandardCharsets.UTF_8),
        new ConnectionMetrics(new PrometheusRegistry()));
    ConnectionLimiter limiter = new ConnectionLimiter("inbound 8443:8080", 1);

    EmbeddedChannel first = new EmbeddedChannel(new AccessLogHandler(log, "inbound:8443", "inbound"), limiter);
    EmbeddedChannel second = new EmbeddedChannel(new AccessLogHandler(log, "inbound:8443", "inbound"), limiter);

    assertThat(first.isOpen()).isTrue();
    assertThat(second.isOpen()).isFalse();
    assertThat(lines.toString(StandardCharsets.UTF_8)).contains("\"close\":\"connection_limit:"
        + " inbound 8443:8080 already has 1 open connections (LANYARD_MAX_CONNECTIONS)\"");

    first.close();
    assertThat(limiter.open()).isZero();
    EmbeddedChannel third = new EmbeddedChannel(new AccessLogHandler(log, "inbound:8443", "inbound"), limiter);
    assertThat(third.isOpen()).isTrue();
    third.close();
  }

  @Test
  void accessLogLinesAreOneJsonObjectWithEscapedText() {
    ConnectionRecord record = new ConnectionRecord("outbound-proxy:127.0.0.1:15001", "outbound");
    record.peerSpiffeId = "spiffe://td/ns/a/sa/b";
    record.close(Reason.BAD_REQUEST, "bad \"request\"\n");
    record.bytesFromClient.set(12);
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    new AccessLog(new PrintStream(lines, true, StandardCharsets.UTF_8),
        new ConnectionMetrics(new PrometheusRegistry())).write(record);
    assertThat(lines.toString(StandardCharsets.UTF_8))
        .startsWith("{\"ts\":\"").contains("\"type\":\"lanyard.access\"")
        .contains("\"peer_spiffe_id\":\"spiffe://td/ns/a/sa/b\"").contains("\"bytes_in\":12,")
        .contains("\"close\":\"bad_request: bad \\\"request\\\"\\u000a\"}").endsWith("}" + System.lineSeparator())
        .doesNotContain("\"client\"");
  }
}
