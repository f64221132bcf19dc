package dev.lanyard.agent.upgrade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.config.UpgradeModes;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which binds the hook cannot redirect are reported, and how often (no sockets needed). */
class UnupgradedPortsTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final List<String> uncovered = new ArrayList<>();
  private final InboundUpgrades upgrades = new InboundUpgrades(
      UpgradeModes.parse("8443=off,9000=permissive,*=strict"), Set.of(9901),
      new ConnectionHandler(null, null),
      new UnupgradedPorts(registry, (what, why) -> uncovered.add(what + ": " + why)));

  @Test
  void aNamedPortIsCountedAtEveryBindAndListedOnce() {
    upgrades.unhookedBind(new Object(), new InetSocketAddress(8080), "nio2");
    upgrades.unhookedBind(new Object(), new InetSocketAddress(8080), "nio2");
    upgrades.unhookedBind(new Object(), new InetSocketAddress(9000), "netty-epoll");

    assertThat(count("8080", "nio2")).isEqualTo(2);
    assertThat(count("9000", "netty-epoll")).isEqualTo(1);
    assertThat(uncovered).hasSize(2);
    assertThat(uncovered.get(0)).startsWith("port 8080 (nio2): port 8080 is NOT upgraded to mTLS"
        + " (LANYARD_UPGRADE_INBOUND says strict): java.lang.Object binds it through NIO2"
        + " AsynchronousServerSocketChannel");
    assertThat(uncovered.get(1)).contains("(LANYARD_UPGRADE_INBOUND says permissive)")
        .contains("Netty's native epoll transport").contains("use the JDK NIO transport");
  }

  @Test
  void offLoopbackEphemeralAndLanyardPortsAreNotReported() {
    upgrades.unhookedBind(new Object(), new InetSocketAddress(8443), "nio2");
    upgrades.unhookedBind(new Object(),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080), "nio2");
    upgrades.unhookedBind(new Object(), new InetSocketAddress(0), "netty-epoll");
    upgrades.unhookedBind(new Object(), new InetSocketAddress(9901), "netty-epoll");

    assertThat(uncovered).isEmpty();
    assertThat(registry.scrape().stream()
        .filter(snapshot -> snapshot.getMetadata().getName()
            .equals("lanyard_inbound_not_upgraded_binds"))
        .flatMap(snapshot -> snapshot.getDataPoints().stream())).isEmpty();
  }

  @Test
  void bindsSeenBeforeTheRuntimeStartedAreListedAtOnceAndCountedOnceItHas() {
    // Premain puts the bind hook in before the runtime (and its metrics registry) exists.
    UnupgradedPorts early = UnupgradedPorts.untilAttached(
        (what, why) -> uncovered.add(what + ": " + why));
    InboundUpgrades beforeRuntime = new InboundUpgrades(UpgradeModes.parse("strict"), Set.of(),
        new ConnectionHandler(null, null), early);

    beforeRuntime.unhookedBind(new Object(), new InetSocketAddress(8080), "netty-epoll");
    beforeRuntime.unhookedBind(new Object(), new InetSocketAddress(8080), "netty-epoll");

    assertThat(uncovered).singleElement().asString().startsWith("port 8080 (netty-epoll)");
    PrometheusRegistry runtimeRegistry = new PrometheusRegistry();
    assertThat(count(runtimeRegistry, "8080", "netty-epoll")).isZero();
    early.attach(runtimeRegistry);
    assertThat(count(runtimeRegistry, "8080", "netty-epoll")).isEqualTo(2);
    beforeRuntime.unhookedBind(new Object(), new InetSocketAddress(8080), "netty-epoll");
    assertThat(count(runtimeRegistry, "8080", "netty-epoll")).isEqualTo(3);
  }

  @Test
  void aStrictPortIsRefusedBeforeItBindsAndOtherModesBind() throws Exception {
    assertThatThrownBy(() -> upgrades.beforeUnhookedBind(new Object(),
        new InetSocketAddress(8080), "netty-epoll"))
        .isInstanceOf(java.net.BindException.class)
        .hasMessage("lanyard: refused to bind port 8080: LANYARD_UPGRADE_INBOUND says strict, but"
            + " java.lang.Object binds it through Netty's native epoll transport, which Lanyard's"
            + " bind hook cannot put a listener in front of, so it would serve plaintext; use the"
            + " JDK NIO transport (ServerSocketChannel; Netty: NioIoHandler /"
            + " NioServerSocketChannel), serve TLS in the application, or set"
            + " 8080=permissive while migrating");

    upgrades.beforeUnhookedBind(new Object(), new InetSocketAddress(9000), "nio2");
    upgrades.beforeUnhookedBind(new Object(), new InetSocketAddress(8443), "nio2");
    upgrades.beforeUnhookedBind(new Object(),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080), "nio2");
    upgrades.beforeUnhookedBind(new Object(), new InetSocketAddress(9901), "nio2");
    upgrades.beforeUnhookedBind(new Object(), new InetSocketAddress(0), "nio2");
    assertThat(uncovered).as("a refused bind serves nothing, so nothing is uncovered").isEmpty();
  }

  private double count(String port, String transport) {
    return count(registry, port, transport);
  }

  private static double count(PrometheusRegistry registry, String port, String transport) {
    return registry.scrape().stream()
        .filter(snapshot -> snapshot instanceof CounterSnapshot)
        .map(snapshot -> (CounterSnapshot) snapshot)
        .filter(snapshot -> snapshot.getMetadata().getName()
            .equals("lanyard_inbound_not_upgraded_binds"))
        .flatMap(snapshot -> snapshot.getDataPoints().stream())
        .filter(point -> point.getLabels().get("port").equals(port)
            && point.getLabels().get("transport").equals(transport))
        .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
  }
}
