package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConfigKeysTest {

  @Test
  void everyKnobHasItsDocumentedSystemProperty() {
    Map<String, String> pairs = new HashMap<>();
    ConfigKeys.ALL.forEach(key -> pairs.put(key.env(), key.property()));

    assertThat(pairs).containsOnly(
        Map.entry("LANYARD_ALLOWED_PEERS", "lanyard.allowed.peers"),
        Map.entry("LANYARD_STARTUP", "lanyard.startup"),
        Map.entry("LANYARD_MESH_HOSTS", "lanyard.mesh.hosts"),
        Map.entry("LANYARD_EXTERNAL_HOSTS", "lanyard.external.hosts"),
        Map.entry("LANYARD_MESH_CIDRS", "lanyard.mesh.cidrs"),
        Map.entry("LANYARD_SERVER_IDS", "lanyard.server.ids"),
        Map.entry("LANYARD_ADMIN_ADDRESS", "lanyard.admin.address"),
        Map.entry("LANYARD_HEALTH_ADDRESS", "lanyard.health.address"),
        Map.entry("LANYARD_METRICS_ADDRESS", "lanyard.metrics.address"),
        Map.entry("LANYARD_JWT_AUDIENCES", "lanyard.jwt.audiences"),
        Map.entry("LANYARD_INBOUND_JWT_AUDIENCE", "lanyard.inbound.jwt.audience"),
        Map.entry("LANYARD_LOG", "lanyard.log"),
        Map.entry("LANYARD_AUDIT", "lanyard.audit"),
        Map.entry("SPIFFE_ENDPOINT_SOCKET", "spiffe.endpoint.socket"),
        Map.entry("LANYARD_PLAIN_PORTS", "lanyard.plain.ports"),
        Map.entry("LANYARD_UPGRADE_INBOUND", "lanyard.upgrade.inbound"),
        Map.entry("LANYARD_UPGRADE_OUTBOUND", "lanyard.upgrade.outbound"),
        Map.entry("LANYARD_APP_PROBES", "lanyard.app.probes"),
        Map.entry("LANYARD_POD_NAME", "lanyard.pod.name"),
        Map.entry("LANYARD_POD_NAMESPACE", "lanyard.pod.namespace"),
        Map.entry("LANYARD_NODE_NAME", "lanyard.node.name"),
        Map.entry("LANYARD_SERVICE_ACCOUNT", "lanyard.service.account"),
        Map.entry("LANYARD_INBOUND", "lanyard.inbound"),
        Map.entry("LANYARD_OUTBOUND", "lanyard.outbound"),
        Map.entry("LANYARD_OUTBOUND_PROXY", "lanyard.outbound.proxy"),
        Map.entry("LANYARD_DRAIN", "lanyard.drain"),
        Map.entry("LANYARD_IDLE_TIMEOUT", "lanyard.idle.timeout"),
        Map.entry("LANYARD_HANDSHAKE_TIMEOUT", "lanyard.handshake.timeout"),
        Map.entry("LANYARD_MAX_CONNECTIONS", "lanyard.max.connections"),
        Map.entry("LANYARD_MAX_PENDING_HANDSHAKES", "lanyard.max.pending.handshakes"),
        Map.entry("LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE",
            "lanyard.max.pending.handshakes.per.source"),
        Map.entry("LANYARD_WORKER_THREADS", "lanyard.worker.threads"),
        Map.entry("LANYARD_SHUTDOWN_ADDRESS", "lanyard.shutdown.address"));
  }

  @Test
  void theAnnotationsAndChartValuesThatSetAKeyAreNamedWithIt() {
    assertThat(ConfigKeys.ALLOWED_PEERS.annotation()).contains("lanyard.dev/allowed-peers");
    assertThat(ConfigKeys.ALLOWED_PEERS.chartValue()).contains("injector.defaults.allowedPeers");
    assertThat(ConfigKeys.INBOUND.annotation()).contains("lanyard.dev/inbound");
    assertThat(ConfigKeys.MESH_CIDRS.annotation()).isEmpty();
    assertThat(ConfigKeys.UPGRADE_INBOUND.annotation()).contains("lanyard.dev/upgrade-inbound");
    assertThat(ConfigKeys.UPGRADE_INBOUND.chartValue())
        .contains("injector.defaults.upgradeInbound");
    assertThat(ConfigKeys.UPGRADE_OUTBOUND.annotation()).contains("lanyard.dev/upgrade-outbound");
    assertThat(ConfigKeys.UPGRADE_OUTBOUND.chartValue())
        .contains("injector.defaults.upgradeOutbound");
    assertThat(ConfigKeys.MESH_CIDRS.chartValue()).contains("injector.defaults.meshCidrs");
    assertThat(ConfigKeys.ALL).allSatisfy(key -> key.annotation()
        .ifPresent(annotation -> assertThat(PodAnnotations.ALL).contains(annotation)));
  }

  @Test
  void parseNamesTheKnobAndTheSystemPropertyWins() {
    Properties sys = new Properties();
    sys.setProperty("lanyard.drain", "5s");
    Duration fromProperty = ConfigKeys.DRAIN.parse(Map.of("LANYARD_DRAIN", "x"), sys,
        text -> Durations.parse(text, "value"), null);
    Duration blank = ConfigKeys.DRAIN.parse(Map.of("LANYARD_DRAIN", " "), new Properties(),
        text -> Durations.parse(text, "value"), null);
    assertThat(fromProperty).hasSeconds(5);
    assertThat(blank).isNull();
    assertThatThrownBy(() -> ConfigKeys.DRAIN.parse(Map.of("LANYARD_DRAIN", "soon"),
            new Properties(), text -> Durations.parse(text, "value"), null))
        .hasMessageStartingWith("LANYARD_DRAIN (or -Dlanyard.drain): value \"soon\" is not a duration");
  }
}
