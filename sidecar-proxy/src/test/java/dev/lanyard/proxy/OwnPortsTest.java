package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.tls.LanyardConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class OwnPortsTest {
  private static void check(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(Map.of("LANYARD_HEALTH_ADDRESS", "0.0.0.0:15021"));
    all.putAll(env);
    OwnPorts.checkInbound(SidecarConfig.fromEnv(all, new Properties()),
        LanyardConfig.fromEnv(all, new Properties()));
  }

  @Test
  void anInboundRouteToTheShutdownPortIsRefusedWithWhatListensThere() {
    assertThatThrownBy(() -> check(Map.of("LANYARD_INBOUND", "8443:15002")))
        .hasMessage("LANYARD_INBOUND entry 8443:15002: app port 15002 is the sidecar's own"
            + " POST /shutdown (LANYARD_SHUTDOWN_ADDRESS); a route there would open it to every"
            + " allowed mesh peer; route the mesh port to the application's own port");
  }

  @Test
  void everyOtherOwnListenerIsRefusedAsAppOrMeshPort() {
    assertThatThrownBy(() -> check(Map.of("LANYARD_INBOUND", "8443:15000")))
        .hasMessageContaining("app port 15000 is the sidecar's own admin endpoint");
    assertThatThrownBy(() -> check(Map.of("LANYARD_INBOUND", "8443:15021")))
        .hasMessageContaining("app port 15021 is the sidecar's own health port");
    assertThatThrownBy(() -> check(Map.of("LANYARD_INBOUND", "8443:15001")))
        .hasMessageContaining("app port 15001 is the sidecar's own outbound HTTP proxy");
    assertThatThrownBy(() -> check(Map.of("LANYARD_INBOUND", "15021:8080")))
        .hasMessageContaining("mesh port 15021 is the sidecar's own health port")
        .hasMessageContaining("choose another mesh port");
    assertThatThrownBy(() -> check(Map.of("LANYARD_INBOUND", "8443:9001",
            "LANYARD_OUTBOUND", "127.0.0.1:9001=db.svc:5432")))
        .hasMessageContaining("app port 9001 is the sidecar's own outbound route");
  }

  @Test
  void movedListenersAreCheckedWhereTheyAreAndOtherPortsPass() {
    assertThatCode(() -> check(Map.of("LANYARD_INBOUND", "8443:15002",
            "LANYARD_SHUTDOWN_ADDRESS", "127.0.0.1:16002")))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> check(Map.of("LANYARD_INBOUND", "8443:16002",
            "LANYARD_SHUTDOWN_ADDRESS", "127.0.0.1:16002")))
        .hasMessageContaining("app port 16002 is the sidecar's own POST /shutdown");
    assertThatCode(() -> check(Map.of("LANYARD_INBOUND", "8443:8080,9443:9090")))
        .doesNotThrowAnyException();
  }
}
