package dev.lanyard.agent.upgrade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.MeshCidrs;
import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.MeshDestinations;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import org.junit.jupiter.api.Test;

/** Which connects go through Lanyard's originator: mesh destinations on upgraded ports only. */
class OutboundUpgradesTest {
  private final OutboundUpgrades upgrades = new OutboundUpgrades(
      UpgradeModes.parse("8080=strict,9090=permissive"),
      new MeshDestinations(HostGlobs.parse(HostGlobs.DEFAULT_MESH_HOSTS), HostGlobs.NONE,
          MeshCidrs.parse("10.96.0.0/12")),
      null, null);

  private static InetSocketAddress named(String host, String ip, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByAddress(host, InetAddress.getByName(ip)
        .getAddress()), port);
  }

  @Test
  void aMeshHostOnAnUpgradedPortGoesToOneOriginatorPerHostAddressAndPort() throws Exception {
    SocketAddress first = upgrades.beforeConnect(new Object(),
        named("orders.shop.svc.cluster.local", "10.96.0.10", 8080));
    SocketAddress again = upgrades.beforeConnect(new Object(),
        named("orders.shop.svc.cluster.local", "10.96.0.10", 8080));
    SocketAddress otherPort = upgrades.beforeConnect(new Object(),
        named("orders.shop.svc.cluster.local", "10.96.0.10", 9090));

    assertThat(((InetSocketAddress) first).getAddress().isLoopbackAddress()).isTrue();
    assertThat(again).isEqualTo(first);
    assertThat(otherPort).isNotEqualTo(first);
  }

  @Test
  void otherDestinationsAndPortsConnectAsTheApplicationAsked() throws Exception {
    InetSocketAddress offPort = named("orders.shop.svc.cluster.local", "10.96.0.10", 443);
    InetSocketAddress external = named("api.example.com", "93.184.215.14", 8080);
    InetSocketAddress outsideCidrs = new InetSocketAddress("192.0.2.9", 8080);
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    InetSocketAddress unresolved = InetSocketAddress.createUnresolved("orders", 8080);

    assertThat(upgrades.beforeConnect(new Object(), offPort)).isSameAs(offPort);
    assertThat(upgrades.beforeConnect(new Object(), external)).isSameAs(external);
    assertThat(upgrades.beforeConnect(new Object(), outsideCidrs)).isSameAs(outsideCidrs);
    assertThat(upgrades.beforeConnect(new Object(), loopback)).isSameAs(loopback);
    assertThat(upgrades.beforeConnect(new Object(), unresolved)).isSameAs(unresolved);
    javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket)
        javax.net.ssl.SSLSocketFactory.getDefault().createSocket();
    InetSocketAddress mesh = named("orders.shop.svc.cluster.local", "10.96.0.10", 8080);
    assertThat(upgrades.beforeConnect(tls, mesh)).as("the application's own TLS").isSameAs(mesh);
    tls.close();
  }

  @Test
  void aConnectTheHookCannotCarryIsRefusedWhenStrictAllowedWhenPermissiveAndCounted()
      throws Exception {
    InetSocketAddress strict = named("orders.shop.svc.cluster.local", "10.96.0.10", 8080);
    InetSocketAddress permissive = named("orders.shop.svc.cluster.local", "10.96.0.10", 9090);
    InetSocketAddress external = named("api.example.com", "93.184.215.14", 8080);

    assertThatThrownBy(() -> upgrades.beforeUnhookedConnect(new Object(), strict, "nio2"))
        .isInstanceOf(java.net.ConnectException.class)
        .hasMessage("lanyard: refused to connect to orders.shop.svc.cluster.local:8080:"
            + " LANYARD_UPGRADE_OUTBOUND says strict, but java.lang.Object connects to"
            + " orders.shop.svc.cluster.local:8080 through NIO2 AsynchronousSocketChannel, which"
            + " Lanyard's connect hook cannot carry as mTLS, so it would leave in clear text; use"
            + " a SocketChannel or Socket (or an HTTP client built on them) or TLS in the"
            + " application, or set 8080=permissive while migrating");
    upgrades.beforeUnhookedConnect(new Object(), permissive, "netty-epoll");
    upgrades.beforeUnhookedConnect(new Object(), external, "netty-epoll");
    PrometheusRegistry registry = new PrometheusRegistry();
    upgrades.attach(registry);
    upgrades.beforeUnhookedConnect(new Object(), permissive, "netty-epoll");

    assertThat(count(registry, "orders.shop.svc.cluster.local:8080", "denied", "nio2"))
        .as("counted before the registry existed").isEqualTo(1);
    assertThat(count(registry, "orders.shop.svc.cluster.local:9090", "allowed", "netty-epoll"))
        .isEqualTo(2);
    assertThat(count(registry, "api.example.com:8080", "allowed", "netty-epoll"))
        .as("not a mesh destination: not Lanyard's to count").isZero();
  }

  private static double count(PrometheusRegistry registry, String destination, String result,
      String transport) {
    return registry.scrape().stream()
        .filter(snapshot -> snapshot instanceof CounterSnapshot)
        .map(snapshot -> (CounterSnapshot) snapshot)
        .filter(snapshot -> snapshot.getMetadata().getName()
            .equals("lanyard_outbound_not_upgraded_connects"))
        .flatMap(snapshot -> snapshot.getDataPoints().stream())
        .filter(point -> point.getLabels().get("destination").equals(destination)
            && point.getLabels().get("result").equals(result)
            && point.getLabels().get("transport").equals(transport))
        .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
        .sum();
  }
}
