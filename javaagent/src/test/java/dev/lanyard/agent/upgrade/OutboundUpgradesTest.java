package dev.lanyard.agent.upgrade;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.MeshCidrs;
import dev.lanyard.config.UpgradeModes;
import dev.lanyard.tls.MeshDestinations;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
}
