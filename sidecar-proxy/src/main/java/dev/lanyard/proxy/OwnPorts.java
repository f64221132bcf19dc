package dev.lanyard.proxy;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.tls.LanyardConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sidecar's own listeners by port, and the rule that no inbound route touches one: an inbound
 * route to {@code 127.0.0.1:15002} would hand {@code POST /shutdown} (which trusts loopback
 * clients, and the relay connects from loopback) to every allowed mesh peer, and one to the admin
 * port its identity and audit data. Checked at start, so such a sidecar refuses to run.
 */
final class OwnPorts {
  private OwnPorts() {}

  /** Port to what listens there (for the refusal), from both configurations. */
  static Map<Integer, String> of(SidecarConfig config, LanyardConfig shared) {
    Map<Integer, String> own = new LinkedHashMap<>();
    shared.adminAddress().ifPresent(address -> own.put(address.getPort(),
        "admin endpoint (/identity, /audit, /metrics; " + ConfigKeys.ADMIN_ADDRESS.env() + ")"));
    shared.healthAddress().ifPresent(address -> own.put(address.getPort(),
        "health port (" + ConfigKeys.HEALTH_ADDRESS.env() + ")"));
    shared.metricsAddress().ifPresent(address -> own.put(address.getPort(),
        "metrics port (" + ConfigKeys.METRICS_ADDRESS.env() + ")"));
    config.shutdownAddress().ifPresent(address -> own.put(address.port(),
        "POST /shutdown (" + SidecarConfig.SHUTDOWN_ADDRESS + ")"));
    config.outboundProxy().ifPresent(address -> own.put(address.port(),
        "outbound HTTP proxy (" + SidecarConfig.OUTBOUND_PROXY + ")"));
    for (OutboundRoute route : config.outbound()) {
      own.putIfAbsent(route.listen().port(),
          "outbound route " + route + " (" + SidecarConfig.OUTBOUND + ")");
    }
    own.remove(0); // an ephemeral port is nobody's fixed port
    return own;
  }

  /**
   * @throws IllegalArgumentException naming the route, the port, the listener there and the fix
   */
  static void checkInbound(SidecarConfig config, LanyardConfig shared) {
    Map<Integer, String> own = of(config, shared);
    for (InboundRoute route : config.inbound()) {
      String entry = SidecarConfig.INBOUND + " entry " + route.meshPort() + ":" + route.appPort();
      String atApp = own.get(route.appPort());
      if (atApp != null) {
        throw new IllegalArgumentException(entry + ": app port " + route.appPort()
            + " is the sidecar's own " + atApp + "; a route there would open it to every allowed"
            + " mesh peer; route the mesh port to the application's own port");
      }
      String atMesh = own.get(route.meshPort());
      if (atMesh != null) {
        throw new IllegalArgumentException(entry + ": mesh port " + route.meshPort()
            + " is the sidecar's own " + atMesh + "; choose another mesh port");
      }
    }
  }
}
