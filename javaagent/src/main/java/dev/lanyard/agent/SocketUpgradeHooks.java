package dev.lanyard.agent;

import dev.lanyard.agent.upgrade.ConnectionHandler;
import dev.lanyard.agent.upgrade.InboundUpgrades;
import dev.lanyard.agent.upgrade.OutboundUpgrades;
import dev.lanyard.agent.upgrade.SocketUpgrades;
import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.PlaintextConnections;
import java.util.HashSet;
import java.util.Set;
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

  static SocketUpgrades create(LanyardConfig config, PendingRuntime runtime) {
    Supplier<SSLContext> context = new Memo<>(() -> runtime.await().listenerContext());
    Supplier<PlaintextConnections> plaintext = new Memo<>(() -> {
      AgentRuntime started = runtime.await();
      return new PlaintextConnections(started.tls().metrics(), started.tls().auditLog(),
          () -> started.identity().map(identity -> identity.spiffeId().toString()));
    });
    InboundUpgrades inbound = null;
    if (config.inboundUpgrade().enabled()) {
      // Lanyard's own ports are never put behind a listener.
      Set<Integer> lanyardPorts = new HashSet<>();
      config.adminAddress().ifPresent(address -> lanyardPorts.add(address.getPort()));
      config.healthAddress().ifPresent(address -> lanyardPorts.add(address.getPort()));
      inbound = new InboundUpgrades(config.inboundUpgrade(), lanyardPorts,
          ConnectionHandler.deferred(context, plaintext));
    }
    OutboundUpgrades outbound = null;
    if (config.outboundUpgrade().enabled()) {
      outbound = OutboundUpgrades.deferred(config.outboundUpgrade(), config.meshDestinations(),
          context, plaintext);
    }
    return new SocketUpgrades(inbound, outbound);
  }
}
