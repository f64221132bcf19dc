package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class SidecarConfigTest {
  private static SidecarConfig parse(Map<String, String> env) {
    return SidecarConfig.fromEnv(env, new Properties());
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    SidecarConfig config = parse(Map.of());
    assertThat(config.inbound()).isEmpty();
    assertThat(config.outbound()).isEmpty();
    assertThat(config.outboundProxy()).contains(new HostAndPort("127.0.0.1", 15001));
    assertThat(config.shutdownAddress()).contains(new HostAndPort("127.0.0.1", 15002));
    assertThat(config.drain()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.maxConnections()).isEqualTo(1024);
    assertThat(config.maxPendingHandshakes()).isEqualTo(256);
    assertThat(config.maxPendingHandshakesPerSource()).isEqualTo(64);
    assertThat(config.workerThreads()).isEqualTo(1);
  }

  @Test
  void parsesRoutes() {
    SidecarConfig config = parse(Map.of(
        "LANYARD_INBOUND", "8443:8080, 9443:9090",
        "LANYARD_OUTBOUND", "127.0.0.1:9001=classifier.ai-agents.svc:8443,[::1]:9002=db.svc:5432",
        "LANYARD_OUTBOUND_PROXY", "off",
        "LANYARD_DRAIN", "1500ms",
        "LANYARD_WORKER_THREADS", "3"));
    assertThat(config.inbound()).containsExactly(new InboundRoute(8443, 8080, false),
        new InboundRoute(9443, 9090, false));
    assertThat(config.outbound()).containsExactly(
        new OutboundRoute(new HostAndPort("127.0.0.1", 9001), new HostAndPort("classifier.ai-agents.svc", 8443)),
        new OutboundRoute(new HostAndPort("::1", 9002), new HostAndPort("db.svc", 5432)));
    assertThat(config.outboundProxy()).isEmpty();
    assertThat(config.drain()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.workerThreads()).isEqualTo(3);
  }

  @Test
  void aPortDeclaredTcpIsRawAndHttpIsTheDefault() {
    SidecarConfig config = parse(Map.of("LANYARD_INBOUND", "8443:8080,15432:5432/tcp,9443:9090/HTTP"));
    assertThat(config.inbound()).containsExactly(new InboundRoute(8443, 8080, false),
        new InboundRoute(15432, 5432, true), new InboundRoute(9443, 9090, false));
    assertThat(config.inbound().get(1)).hasToString("15432:5432/tcp");
  }

  @Test
  void aRawPortWithAnInboundJwtAudienceIsRefused() {
    SidecarConfig config = parse(Map.of("LANYARD_INBOUND", "8443:8080,15432:5432/tcp"));
    config.checkJwtAudience(java.util.Optional.empty());
    assertThatThrownBy(() -> config.checkJwtAudience(java.util.Optional.of("api")))
        .hasMessage("LANYARD_INBOUND entry 15432:5432/tcp is raw TCP, but"
            + " LANYARD_INBOUND_JWT_AUDIENCE=api requires a JWT-SVID on every request, and raw bytes"
            + " carry none; serve that port as HTTP (drop /tcp) or run a second sidecar without"
            + " LANYARD_INBOUND_JWT_AUDIENCE for it");
  }

  @Test
  void systemPropertyWinsOverEnvironment() {
    Properties sys = new Properties();
    sys.setProperty("lanyard.inbound", "7443:7080");
    SidecarConfig config = SidecarConfig.fromEnv(Map.of("LANYARD_INBOUND", "8443:8080"), sys);
    assertThat(config.inbound()).containsExactly(new InboundRoute(7443, 7080, false));
  }

  @Test
  void errorsNameTheKnobTheValueAndTheFix() {
    assertThatThrownBy(() -> parse(Map.of("LANYARD_INBOUND", "8443")))
        .hasMessage("LANYARD_INBOUND (or -Dlanyard.inbound): entry \"8443\" is not meshPort:appPort with ports in"
            + " 1-65535, optionally followed by /tcp (raw TCP, no identity headers) or /http (the"
            + " default); write e.g. 8443:8080,15432:5432/tcp");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_INBOUND", "8443:8080/udp")))
        .hasMessageStartingWith("LANYARD_INBOUND (or -Dlanyard.inbound): entry \"8443:8080/udp\" is not");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_INBOUND", "8443:1,8443:2")))
        .hasMessageContaining("mesh port 8443 is listed twice");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_OUTBOUND", "127.0.0.1:9001")))
        .hasMessageContaining("LANYARD_OUTBOUND (or -Dlanyard.outbound): entry \"127.0.0.1:9001\" is not listen=upstream");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_DRAIN", "10 seconds")))
        .hasMessage("LANYARD_DRAIN (or -Dlanyard.drain): value \"10 seconds\" is not a duration: write a"
            + " whole number followed by ms, s, m or h, e.g. 500ms, 30s, 2m");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_MAX_CONNECTIONS", "0")))
        .hasMessageContaining("is not a positive whole number");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_WORKER_THREADS", "two")))
        .hasMessageStartingWith("LANYARD_WORKER_THREADS (or -Dlanyard.worker.threads): \"two\"")
        .hasMessageContaining("is not a positive whole number");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_OUTBOUND_PROXY", "15001")))
        .hasMessageContaining("LANYARD_OUTBOUND_PROXY (or -Dlanyard.outbound.proxy): \"15001\" is not host:port");
  }

  @Test
  void oneAddressCannotBeAllowedTheWholeHandshakeBudget() {
    assertThat(parse(Map.of("LANYARD_MAX_PENDING_HANDSHAKES", "16")).maxPendingHandshakesPerSource())
        .as("the per-source default follows a smaller budget").isEqualTo(16);
    assertThatThrownBy(() -> parse(Map.of("LANYARD_MAX_PENDING_HANDSHAKES", "100",
        "LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE", "200")))
        .hasMessage("LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE=200 is above"
            + " LANYARD_MAX_PENDING_HANDSHAKES=100, which caps every address together; set it to a"
            + " fraction of it (the defaults are 64 of 256) so that one address cannot hold every"
            + " handshake slot");
    assertThatThrownBy(() -> parse(Map.of("LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE", "-1")))
        .hasMessageStartingWith("LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE (or -Dlanyard.max.pending.handshakes.per.source): \"-1\"")
        .hasMessageContaining("is not a positive whole number");
  }

  @Test
  void refusesAConfigurationWithNothingToDo() {
    assertThatThrownBy(() -> parse(Map.of("LANYARD_OUTBOUND_PROXY", "off")))
        .hasMessageStartingWith("nothing to do: set LANYARD_INBOUND");
  }

  @Test
  void propertyNamesPairWithEnvironmentNames() {
    assertThat(List.of(SidecarConfig.INBOUND, SidecarConfig.OUTBOUND_PROXY).stream()
        .map(dev.lanyard.config.ConfigKey::property)).containsExactly("lanyard.inbound", "lanyard.outbound.proxy");
  }
}
