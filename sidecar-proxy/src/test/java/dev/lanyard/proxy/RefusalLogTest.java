package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.reasons.Reason;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusalLogTest {
  private static final HandshakeBudget.Refusal OVER_SHARE = new HandshakeBudget.Refusal(
      Reason.HANDSHAKE_LIMIT_PER_SOURCE, "handshake_limit_per_source: 10.0.0.66 already has 64 ...");
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final ConnectionMetrics metrics = new ConnectionMetrics(registry);
  private final List<String> lines = new ArrayList<>();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final RefusalLog log = new RefusalLog("inbound:8443", metrics, lines::add, now::get);

  @Test
  void oneLinePerAddressPerIntervalAndEveryRefusalCounted() throws IOException {
    InetAddress attacker = HandshakeBudgetTest.address("10.0.0.66");
    InetAddress other = HandshakeBudgetTest.address("10.0.0.67");
    for (int i = 0; i < 500; i++) {
      log.refused(attacker, OVER_SHARE);
      now.addAndGet(Duration.ofMillis(10).toNanos());
    }
    log.refused(other, OVER_SHARE);

    // 500 refusals over 5 s from one address: one line; the other address has its own.
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).isEqualTo("refused a connection from 10.0.0.66 to inbound:8443 before"
        + " TLS: handshake_limit_per_source: 10.0.0.66 already has 64 ... (at most one line per"
        + " address every 10 s; every refusal is counted in lanyard_sidecar_connections_refused_total)");
    assertThat(lines.get(1)).startsWith("refused a connection from 10.0.0.67 to inbound:8443");

    now.addAndGet(Duration.ofSeconds(6).toNanos());
    log.refused(attacker, OVER_SHARE);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(2)).contains("; 499 more refused from this address since the previous line");
    assertThat(scrape()).contains("lanyard_sidecar_connections_refused_total{listener=\"inbound:8443\","
        + "reason=\"handshake_limit_per_source\"} 502.0");
  }

  @Test
  void manyAddressesInOneIntervalShareALineBeyondTheTrackedOnes() {
    for (int i = 0; i < RefusalLog.MAX_SOURCES + 100; i++) {
      log.refused(HandshakeBudgetTest.address("10.1." + (i / 256) + "." + (i % 256)), OVER_SHARE);
    }
    assertThat(lines).hasSize(RefusalLog.MAX_SOURCES + 1);

    now.addAndGet(RefusalLog.INTERVAL.toNanos());
    log.refused(HandshakeBudgetTest.address("10.2.0.1"), OVER_SHARE);
    assertThat(lines).hasSize(RefusalLog.MAX_SOURCES + 2);
  }

  private String scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
