package dev.lanyard.tls;

import dev.lanyard.config.AuditMode;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.StartupPolicy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LanyardConfigTest {
  private final Map<String, String> env = new HashMap<>();
  private final Properties sys = new Properties();

  @Test
  void defaultsAreSafe() {
    LanyardConfig config = LanyardConfig.fromEnv(env, sys);

    assertThat(config.peerPolicy().patterns()).isEmpty();
    assertThat(config.peerPolicy().auditMode()).isFalse();
    assertThat(config.startupPolicy()).isEqualTo(StartupPolicy.DEFAULT);
    assertThat(config.meshHosts().globs())
        .containsExactly("*.svc", "*.svc.cluster.local", "*.cluster.local");
    assertThat(config.adminAddress()).contains(new InetSocketAddress("127.0.0.1", 15000));
    assertThat(config.debug()).isFalse();
    assertThat(config.auditMode()).isEqualTo(AuditMode.DENY);
    assertThat(config.workloadApiAddress())
        .isEqualTo("unix:///spiffe-workload-api/spire-agent.sock");
    assertThat(config.plainPorts()).isEmpty();
    assertThat(config.attestation().isEmpty()).isTrue();
  }

  @Test
  void readsEveryKnobFromTheEnvironment() {
    env.put("LANYARD_ALLOWED_PEERS", "spiffe://td/ns/a/*,audit");
    env.put("LANYARD_STARTUP", "wait=2s,then=degrade");
    env.put("LANYARD_MESH_HOSTS", "*.mesh");
    env.put("LANYARD_ADMIN_ADDRESS", "0.0.0.0:9901");
    env.put("LANYARD_LOG", "debug");
    env.put("LANYARD_AUDIT", "all");
    env.put("SPIFFE_ENDPOINT_SOCKET", "unix:///run/spire/agent.sock");
    env.put("LANYARD_PLAIN_PORTS", "8443, 80");
    env.put("LANYARD_POD_NAME", "web-0");
    env.put("LANYARD_POD_NAMESPACE", "shop");

    LanyardConfig config = LanyardConfig.fromEnv(env, sys);

    assertThat(config.peerPolicy().toString()).isEqualTo("audit,spiffe://td/ns/a/*");
    assertThat(config.startupPolicy().waitFor()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.startupPolicy().afterWait()).isEqualTo(StartupPolicy.AfterWait.DEGRADE);
    assertThat(config.meshHosts().globs()).containsExactly("*.mesh");
    assertThat(config.adminAddress()).contains(new InetSocketAddress("0.0.0.0", 9901));
    assertThat(config.debug()).isTrue();
    assertThat(config.auditMode()).isEqualTo(AuditMode.ALL);
    assertThat(config.workloadApiAddress()).isEqualTo("unix:///run/spire/agent.sock");
    assertThat(config.plainPorts()).containsExactly(80, 8443);
    assertThat(config.attestation().fields()).containsExactly(
        Map.entry("platform", "kubernetes"), Map.entry("namespace", "shop"),
        Map.entry("pod", "web-0"));
  }

  @Test
  void systemPropertyWinsOverEnvironment() {
    env.put("LANYARD_STARTUP", "wait=2s,then=degrade");
    sys.setProperty("lanyard.startup", "wait=5s,then=fail");
    env.put("SPIFFE_ENDPOINT_SOCKET", "unix:///from/env.sock");
    sys.setProperty("spiffe.endpoint.socket", "unix:///from/property.sock");

    LanyardConfig config = LanyardConfig.fromEnv(env, sys);

    assertThat(config.startupPolicy().toString()).isEqualTo("wait=5s,then=fail");
    assertThat(config.workloadApiAddress()).isEqualTo("unix:///from/property.sock");
  }

  @Test
  void adminOffDisablesTheEndpoint() {
    env.put("LANYARD_ADMIN_ADDRESS", "OFF");

    assertThat(LanyardConfig.fromEnv(env, sys).adminAddress()).isEmpty();
  }

  @Test
  void blankValuesMeanUnset() {
    env.put("LANYARD_ALLOWED_PEERS", "   ");
    env.put("LANYARD_STARTUP", "");

    LanyardConfig config = LanyardConfig.fromEnv(env, sys);

    assertThat(config.peerPolicy().patterns()).isEmpty();
    assertThat(config.startupPolicy()).isEqualTo(StartupPolicy.DEFAULT);
  }

  @Test
  void errorsNameTheKnobItsPropertyAndTheProblem() {
    env.put("LANYARD_STARTUP", "wait=forever");

    assertThatThrownBy(() -> LanyardConfig.fromEnv(env, sys))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("LANYARD_STARTUP (or -Dlanyard.startup): startup policy"
            + " \"wait=forever\": wait \"forever\" is not a duration");
  }

  @Test
  void rejectsBadAdminAddressLogLevelAuditModeAndPorts() {
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_ADMIN_ADDRESS", "15000"), sys))
        .hasMessage("LANYARD_ADMIN_ADDRESS (or -Dlanyard.admin.address): admin address \"15000\""
            + " is not host:port; write e.g. 127.0.0.1:15000, or off to disable the admin endpoint");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_HEALTH_ADDRESS", "15021"), sys))
        .hasMessage("LANYARD_HEALTH_ADDRESS (or -Dlanyard.health.address): health address"
            + " \"15021\" is not host:port; write e.g. 0.0.0.0:15021, or off to disable the"
            + " health port");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_HEALTH_ADDRESS",
            "0.0.0.0:15000"), sys))
        .hasMessage("LANYARD_HEALTH_ADDRESS (or -Dlanyard.health.address): port 15000 is the admin"
            + " endpoint's (LANYARD_ADMIN_ADDRESS); the health port needs its own, e.g."
            + " 0.0.0.0:15021");
    assertThat(LanyardConfig.fromEnv(Map.of(), sys).healthAddress()).as("off by default").isEmpty();
    assertThat(LanyardConfig.fromEnv(Map.of(), sys).metricsAddress()).as("off by default").isEmpty();
    assertThat(LanyardConfig.fromEnv(Map.of("LANYARD_METRICS_ADDRESS", "0.0.0.0:15020"), sys)
        .metricsAddress()).hasValue(new java.net.InetSocketAddress("0.0.0.0", 15020));
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_METRICS_ADDRESS", "15020"), sys))
        .hasMessage("LANYARD_METRICS_ADDRESS (or -Dlanyard.metrics.address): metrics address"
            + " \"15020\" is not host:port; write e.g. 0.0.0.0:15020, or off to disable the"
            + " metrics port");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_METRICS_ADDRESS",
            "0.0.0.0:15021", "LANYARD_HEALTH_ADDRESS", "0.0.0.0:15021"), sys))
        .hasMessage("LANYARD_METRICS_ADDRESS (or -Dlanyard.metrics.address): port 15021 is the"
            + " admin endpoint's or the health port's (LANYARD_ADMIN_ADDRESS,"
            + " LANYARD_HEALTH_ADDRESS); the metrics port needs its own, e.g. 0.0.0.0:15020");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_LOG", "trace"), sys))
        .hasMessage("LANYARD_LOG (or -Dlanyard.log): log level \"trace\" is not info or debug;"
            + " write info (default) or debug");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_AUDIT", "some"), sys))
        .hasMessageContaining("audit mode \"some\" is not one of deny, all, off");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_PLAIN_PORTS", "80,http"), sys))
        .hasMessageContaining("plain port \"http\" is not a port number (1-65535)");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(Map.of("LANYARD_PLAIN_PORTS", "70000"), sys))
        .hasMessageContaining("plain port \"70000\"");
  }

}
