package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.SocketHooks;
import dev.lanyard.agent.bootstrap.TlsHooks;
import dev.lanyard.agent.upgrade.ConnectionHandler;
import dev.lanyard.agent.upgrade.InboundUpgrades;
import dev.lanyard.agent.upgrade.OutboundUpgrades;
import dev.lanyard.agent.upgrade.SocketUpgrades;
import dev.lanyard.tls.PlaintextConnections;
import dev.lanyard.tls.Identity;
import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.LanyardTls;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** The javaagent's live parts: one {@link LanyardTls} and the hooks built on it. */
final class AgentRuntime {
  private final LanyardTls tls;
  private final AgentTlsHooks hooks;
  private final SocketUpgrades socketHooks;
  private volatile Supplier<Set<String>> coverage = Set::of;

  private AgentRuntime(LanyardTls tls, TlsCoverage coverage) {
    this.tls = tls;
    this.hooks = new AgentTlsHooks(tls.keyManager(), tls::trustManager,
        () -> tls.svidSource().bundles().allAuthorities(), tls.config().plainPorts(),
        () -> tls.svidSource().current().map(identity -> identity.spiffeId().toString()),
        new SessionCaches(tls.sessionPolicy()), coverage);
    tls.identityExtras(coverage::identityFields);
    hooks.refusals(tls::refusedByPeer);
    if (tls.jwtSender().enabled()) {
      hooks.jwt(new JwtRequestHeaders(tls.jwtSender()));
    }
    this.socketHooks = tls.config().inboundUpgrade().enabled()
        || tls.config().outboundUpgrade().enabled() ? socketUpgrades(tls, coverage) : null;
  }

  /** {@code LANYARD_UPGRADE_INBOUND} and {@code LANYARD_UPGRADE_OUTBOUND}. */
  private SocketUpgrades socketUpgrades(LanyardTls tls, TlsCoverage coverage) {
    PlaintextConnections plaintext = new PlaintextConnections(tls.metrics(), tls.auditLog(),
        () -> tls.svidSource().current().map(identity -> identity.spiffeId().toString()));
    Supplier<javax.net.ssl.SSLContext> context = new Memo<>(hooks::newListenerContext);
    InboundUpgrades inbound = null;
    if (tls.config().inboundUpgrade().enabled()) {
      inbound = new InboundUpgrades(tls.config().inboundUpgrade(),
          InboundUpgrades.lanyardPorts(tls.config()),
          new ConnectionHandler(context, plaintext),
          new dev.lanyard.agent.upgrade.UnupgradedPorts(tls.metrics().registry(),
              coverage::uncovered));
      // The health port probes the application itself, not its strict listener.
      InboundUpgrades upgraded = inbound;
      tls.appProbeTargets(port -> upgraded.appAddress(port).orElseGet(
          () -> new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port)));
    }
    OutboundUpgrades outbound = null;
    if (tls.config().outboundUpgrade().enabled()) {
      outbound = new OutboundUpgrades(tls.config().outboundUpgrade(),
          tls.config().meshDestinations(), context, plaintext);
    }
    return new SocketUpgrades(inbound, outbound);
  }

  /** The socket hooks when {@code LANYARD_UPGRADE_INBOUND} or {@code _OUTBOUND} upgrades a port. */
  Optional<SocketHooks> socketHooks() {
    return Optional.ofNullable(socketHooks);
  }

  /** Computes once, on first use (the listeners' context waits for the first connection). */
  private static final class Memo<T> implements Supplier<T> {
    private final Supplier<T> compute;
    private volatile T value;

    Memo(Supplier<T> compute) {
      this.compute = compute;
    }

    @Override
    public T get() {
      T current = value;
      if (current == null) {
        synchronized (this) {
          current = value;
          if (current == null) {
            current = compute.get();
            value = current;
          }
        }
      }
      return current;
    }
  }

  /** Starts the SVID source in the background and the admin endpoint; never waits for SPIRE. */
  static AgentRuntime start(LanyardConfig config, TlsCoverage coverage) {
    // The JVM's default trust store is read lazily: loading cacerts in premain costs start-up time.
    // With LANYARD_UPGRADE_INBOUND the admin endpoint starts only once the server-socket hooks
    // are in (startAdminServers): binding it here, on lanyard-start, would load the socket class
    // that an application thread may be loading already, waiting for these very hooks.
    return new AgentRuntime(LanyardTls.start(config, new LazyJvmTrustManager(),
        !config.inboundUpgrade().enabled() && !config.outboundUpgrade().enabled()), coverage);
  }

  TlsHooks hooks() {
    return hooks;
  }

  LanyardTls tls() {
    return tls;
  }

  void coverage(Supplier<Set<String>> hookedTypes) {
    this.coverage = hookedTypes;
  }

  Set<String> coverage() {
    return coverage.get();
  }

  Optional<Identity> identity() {
    return tls.svidSource().current();
  }

  boolean awaitFirstSvid(Duration timeout) {
    try {
      return tls.svidSource().awaitFirst(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
