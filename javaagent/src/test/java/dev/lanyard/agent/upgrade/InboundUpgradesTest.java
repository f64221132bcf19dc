package dev.lanyard.agent.upgrade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.LanyardConfig;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which binds get Lanyard's listener in front of them, with real sockets (no hooks installed:
 * the decisions are called as the bind advice calls them).
 */
class InboundUpgradesTest {
  private static UnupgradedPorts unupgraded() {
    return new UnupgradedPorts(new io.prometheus.metrics.model.registry.PrometheusRegistry(),
        (what, why) -> { });
  }

  private static int freePort() throws Exception {
    try (ServerSocket probe = new ServerSocket(0)) {
      return probe.getLocalPort();
    }
  }

  @Test
  void anUpgradedPortIsHeldByLanyardAndTheApplicationGetsLoopback() throws Exception {
    int port = freePort();
    InboundUpgrades upgrades = new InboundUpgrades(UpgradeModes.parse(port + "=strict"),
        Set.of(), new ConnectionHandler(null, null), unupgraded());
    try (ServerSocketChannel app = ServerSocketChannel.open()) {
      SocketAddress instead = upgrades.beforeBind(app, new InetSocketAddress(port));

      assertThat(instead).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      assertThatThrownBy(() -> new ServerSocket(port).close())
          .as("Lanyard's listener holds the port").isInstanceOf(BindException.class);
      app.bind(instead);
      upgrades.afterBind(app, null);

      upgrades.closed(app);
      new ServerSocket(port).close();
    }
  }

  @Test
  void aFailedApplicationBindReleasesThePort() throws Exception {
    int port = freePort();
    InboundUpgrades upgrades = new InboundUpgrades(UpgradeModes.parse("permissive"), Set.of(),
        new ConnectionHandler(null, null), unupgraded());
    Object app = new Object();
    upgrades.beforeBind(app, new InetSocketAddress(port));

    upgrades.afterBind(app, new BindException("taken"));

    new ServerSocket(port).close();
  }

  @Test
  void loopbackPortZeroOffPortsLanyardPortsAndTlsServersAreLeftAlone() throws Exception {
    int port = freePort();
    int admin = freePort();
    InboundUpgrades upgrades = new InboundUpgrades(
        UpgradeModes.parse(port + "=off,*=strict"), Set.of(admin),
        new ConnectionHandler(null, null), unupgraded());
    Object app = new Object();
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    InetSocketAddress ephemeral = new InetSocketAddress(0);
    InetSocketAddress off = new InetSocketAddress(port);
    InetSocketAddress lanyard = new InetSocketAddress(admin);

    assertThat(upgrades.beforeBind(app, loopback)).isSameAs(loopback);
    assertThat(upgrades.beforeBind(app, ephemeral)).isSameAs(ephemeral);
    assertThat(upgrades.beforeBind(app, off)).isSameAs(off);
    assertThat(upgrades.beforeBind(app, lanyard)).isSameAs(lanyard);
    try (ServerSocket tls = javax.net.ssl.SSLServerSocketFactory.getDefault()
        .createServerSocket()) {
      InetSocketAddress any = new InetSocketAddress(freePort());
      assertThat(upgrades.beforeBind(tls, any)).isSameAs(any);
    }
  }

  @Test
  void lanyardsOwnListenersAdminHealthAndMetricsAreNeverUpgraded() {
    // The webhook sets all three in a JVM container; *=strict (a container that declares no
    // port) must not put mTLS in front of the metrics port Prometheus scrapes in plain HTTP.
    LanyardConfig config = LanyardConfig.fromEnv(Map.of(
        "LANYARD_ADMIN_ADDRESS", "127.0.0.1:15000",
        "LANYARD_HEALTH_ADDRESS", "0.0.0.0:15022",
        "LANYARD_METRICS_ADDRESS", "0.0.0.0:15020",
        "LANYARD_UPGRADE_INBOUND", "*=strict"), new Properties());

    assertThat(InboundUpgrades.lanyardPorts(config)).containsExactlyInAnyOrder(15000, 15022, 15020);
  }

  @Test
  void aPortTakenByAnotherProcessFailsTheApplicationsBind() throws Exception {
    try (ServerSocket other = new ServerSocket(0)) {
      InboundUpgrades upgrades = new InboundUpgrades(UpgradeModes.parse("strict"), Set.of(),
          new ConnectionHandler(null, null), unupgraded());

      assertThatThrownBy(() -> upgrades.beforeBind(new Object(),
          new InetSocketAddress(other.getLocalPort()))).isInstanceOf(BindException.class);
    }
  }
}
