package dev.lanyard.agent;

import dev.lanyard.agent.upgrade.ConnectionHandler;
import dev.lanyard.agent.upgrade.InboundUpgrades;
import dev.lanyard.agent.upgrade.NativeTransportSteering;
import dev.lanyard.agent.upgrade.OutboundUpgrades;
import dev.lanyard.agent.upgrade.SocketUpgrades;
import dev.lanyard.agent.upgrade.UnupgradedPorts;
import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.PlaintextConnections;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The socket hooks of {@code LANYARD_UPGRADE_INBOUND} and {@code LANYARD_UPGRADE_OUTBOUND}, built
 * from the configuration alone so that premain can put them in before main without waiting for
 * the runtime (SVID source, metrics, audit log): which binds and connects are upgraded is decided
 * from the configuration; the listener's TLS context and the plaintext counters are taken from the
 * runtime when the first upgraded connection needs them.
 */
final class SocketUpgradeHooks {
  private SocketUpgradeHooks() {}

  static SocketUpgrades create(LanyardConfig config, PendingRuntime runtime,
      TlsCoverage coverage) {
    Supplier<SSLContext> context = new Memo<>(() -> runtime.await().listenerContext());
    Supplier<PlaintextConnections> plaintext = new Memo<>(() -> {
      AgentRuntime started = runtime.await();
      return new PlaintextConnections(started.tls().metrics(), started.tls().auditLog(),
          () -> started.identity().map(identity -> identity.spiffeId().toString()));
    });
    InboundUpgrades inbound = null;
    if (config.inboundUpgrade().enabled()) {
      // Binds the hook cannot redirect are warned about at once; their metric once it exists.
      UnupgradedPorts unupgraded = UnupgradedPorts.untilAttached(coverage::uncovered);
      InboundUpgrades upgrades = new InboundUpgrades(config.inboundUpgrade(),
          InboundUpgrades.lanyardPorts(config), ConnectionHandler.deferred(context, plaintext),
          unupgraded);
      runtime.whenStarted(started -> {
        if (started.tls().metricsServed()) {
          unupgraded.attach(started.tls().metrics().registry());
        }
        // The health port probes the application itself, not its strict listener.
        started.tls().appProbeTargets(port -> upgrades.appAddress(port).orElseGet(
            () -> new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
      });
      inbound = upgrades;
    }
    OutboundUpgrades outbound = null;
    if (config.outboundUpgrade().enabled()) {
      OutboundUpgrades upgrades = OutboundUpgrades.deferred(config.outboundUpgrade(),
          config.meshDestinations(), context, plaintext);
      runtime.whenStarted(started -> {
        // Only where an admin or metrics port serves them: else no Prometheus class is loaded.
        if (started.tls().metricsServed()) {
          upgrades.attach(started.tls().metrics().registry());
        }
      });
      outbound = upgrades;
    }
    return new SocketUpgrades(inbound, outbound,
        new NativeTransportSteering(upgradeKeys(config), coverage::steered));
  }

  /** The variables that turn the upgrade on in {@code config}, for log lines. */
  static String upgradeKeys(LanyardConfig config) {
    List<String> keys = new ArrayList<>();
    if (config.inboundUpgrade().enabled()) {
      keys.add(dev.lanyard.config.ConfigKeys.UPGRADE_INBOUND.env());
    }
    if (config.outboundUpgrade().enabled()) {
      keys.add(dev.lanyard.config.ConfigKeys.UPGRADE_OUTBOUND.env());
    }
    return String.join(" and ", keys);
  }
}
