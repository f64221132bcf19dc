package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TlsCoverageTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"),
      ZoneOffset.UTC);

  @Test
  void nothingToReportIsTwoEmptyLists() {
    assertThat(new TlsCoverage(CLOCK).identityFields())
        .containsExactly(Map.entry("early_tls_contexts", List.of()),
            Map.entry("uncovered", List.of()));
  }

  @Test
  void adoptedContextsAndUncoveredTypesAreListedWithTheirDetails() {
    TlsCoverage coverage = new TlsCoverage(CLOCK);
    coverage.adopted("sun.security.ssl.SSLContextImpl$DefaultSSLContext", "a.B.c(B.java:1)", 2);
    coverage.uncovered("io.netty.handler.ssl.SslContextBuilder", "loaded before the javaagent");

    Map<String, Object> fields = coverage.identityFields();

    assertThat(fields.get("early_tls_contexts")).isEqualTo(List.of(Map.of(
        "context", "sun.security.ssl.SSLContextImpl$DefaultSSLContext",
        "adopted_at", "2026-01-02T03:04:05Z", "first_used_by", "a.B.c(B.java:1)",
        "sessions_dropped", 2)));
    assertThat(fields.get("uncovered")).isEqualTo(List.of(Map.of(
        "what", "io.netty.handler.ssl.SslContextBuilder", "why", "loaded before the javaagent",
        "since", "2026-01-02T03:04:05Z")));
  }

  @Test
  void nativeTransportsSteeredToNioAreListedOnlyOnceThereAreAny() {
    TlsCoverage coverage = new TlsCoverage(CLOCK);
    coverage.steered("io.grpc.netty.shaded.io.netty.channel.epoll.Epoll",
        "io.grpc.netty.shaded.io.grpc.netty.Utils");

    assertThat(coverage.identityFields().get("native_transports_steered")).isEqualTo(List.of(
        Map.of("availability", "io.grpc.netty.shaded.io.netty.channel.epoll.Epoll",
            "asked_by", "io.grpc.netty.shaded.io.grpc.netty.Utils",
            "since", "2026-01-02T03:04:05Z")));
  }

  @Test
  void bothListsAreBoundedAndCountWhatIsLeftOff() {
    TlsCoverage coverage = new TlsCoverage(CLOCK);
    for (int i = 0; i < TlsCoverage.MAX_ENTRIES + 3; i++) {
      coverage.adopted("context" + i, "caller", 0);
      coverage.uncovered("type" + i, "why");
    }

    Map<String, Object> fields = coverage.identityFields();

    assertThat((List<?>) fields.get("early_tls_contexts")).hasSize(TlsCoverage.MAX_ENTRIES);
    assertThat((List<?>) fields.get("uncovered")).hasSize(TlsCoverage.MAX_ENTRIES);
    assertThat(fields).containsEntry("early_tls_contexts_left_off", 3)
        .containsEntry("uncovered_left_off", 3);
  }
}
