package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.TlsHooks;
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
  private volatile Supplier<Set<String>> coverage = Set::of;

  private AgentRuntime(LanyardTls tls, TlsCoverage coverage) {
    this.tls = tls;
    this.hooks = new AgentTlsHooks(tls.keyManager(), tls::trustManager,
        () -> tls.svidSource().bundles().allAuthorities(), tls.config().plainPorts(),
        () -> tls.svidSource().current().map(identity -> identity.spiffeId().toString()),
        new SessionCaches(tls.sessionPolicy()), coverage);
    tls.identityExtras(coverage::identityFields);
    hooks.refusals(tls::refusedByPeer);
    // Only with LANYARD_JWT_AUDIENCES: otherwise no JWT class is loaded at all.
    if (!tls.config().jwtAudiences().isEmpty()) {
      hooks.jwt(new JwtRequestHeaders(tls.jwtSender()));
    }
  }

  /** The context of Lanyard's listeners and originators ({@link SocketUpgradeHooks}). */
  javax.net.ssl.SSLContext listenerContext() {
    return hooks.newListenerContext();
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
