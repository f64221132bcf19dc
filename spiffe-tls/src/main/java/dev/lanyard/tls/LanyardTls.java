package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.StartupPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Clock;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The one entry point the javaagent and the sidecar use: from a {@link LanyardConfig}, an {@link
 * SvidSource} and the JVM's ordinary trust manager, it assembles the key manager, the trust
 * manager, the session policy, metrics, audit records and the admin endpoint, and builds {@code
 * SSLContext}s from them.
 *
 * <pre>{@code
 * LanyardConfig config = LanyardConfig.fromEnvironment();
 * LanyardTls tls = LanyardTls.start(config, LanyardTls.webPkiTrustManager("PKIX"));
 * SSLContext context = tls.newSslContext();
 * }</pre>
 */
public final class LanyardTls implements AutoCloseable {
  /** The TLS versions mesh connections use. */
  public static final List<String> PROTOCOLS =
      Collections.unmodifiableList(Arrays.asList("TLSv1.3", "TLSv1.2"));

  /** What {@link #awaitStartup()} found. */
  public enum StartupState {
    /** An X.509-SVID is held. */
    READY,
    /** None arrived within the wait and the policy says {@code then=degrade}. */
    DEGRADED
  }

  private final LanyardConfig config;
  private final SvidSource source;
  private final FirstSvidWait firstSvid;
  private final LanyardKeyManager keyManager;
  private final LanyardTrustManager trustManager;
  private final SessionPolicy sessionPolicy;
  private final DecisionListeners decisionListeners;
  /**
   * Made at once when an admin endpoint or a metrics port can serve it, else on the first call
   * of {@link #metrics()}: a workload whose metrics nobody can read loads no Prometheus class.
   */
  private volatile LanyardMetrics metrics;
  private final AuditLog auditLog;
  /** Read by the admin endpoint's {@code /identity} only: null (nothing kept) when it is off. */
  private final RecentPeers recentPeers;
  private volatile AdminServer adminServer;
  private volatile AdminServer healthServer;
  private volatile AdminServer metricsServer;
  private boolean adminStarted;
  private final Clock clock;
  private final JwtSvidSource jwtSource;
  /** Made on first use: a workload without {@code LANYARD_JWT_AUDIENCES} loads no JWT class. */
  private volatile JwtSender jwtSender;
  private final JwtVerifier jwtVerifier;
  private volatile Supplier<Map<String, Object>> identityExtras = Map::of;
  private volatile IntFunction<InetSocketAddress> appAddresses =
      port -> new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  /** The health port's probes of the application: null when the health port is off. */
  private final AppProbeRunner appProbes;

  private LanyardTls(Builder builder) {
    this.config = builder.config;
    this.source = Objects.requireNonNull(builder.source, "svidSource");
    X509TrustManager webPki = Objects.requireNonNull(builder.webPki, "webPkiTrustManager");
    Clock clock = builder.clock;
    this.clock = clock;
    this.firstSvid = new FirstSvidWait(source, config.startupPolicy(), clock);
    this.sessionPolicy = new SessionPolicy(clock);
    if (metricsServed()) {
      this.metrics = new LanyardMetrics(source, clock);
    }
    this.auditLog = new AuditLog(config.auditMode(), config.attestation(), builder.auditOutput,
        clock, AuditLog.DEFAULT_CAPACITY);
    this.recentPeers = config.adminAddress().isPresent()
        ? new RecentPeers(clock, RecentPeers.DEFAULT_CAPACITY) : null;
    this.decisionListeners = new DecisionListeners().add(this::countDecision);
    if (recentPeers != null) {
      decisionListeners.add(recentPeers);
    }
    decisionListeners.add(auditLog).add(sessionPolicy);
    source.addListener(sessionPolicy);
    this.keyManager = new LanyardKeyManager(firstSvid);
    this.trustManager = trustManager(webPki, SpiffePeerListener.NONE);
    this.jwtSource = builder.jwtSource != null ? builder.jwtSource
        : config.usesJwt() ? WorkloadApiJwtSource.startAsSource(config.workloadApiAddress())
            : null;
    this.jwtVerifier = config.inboundJwtAudience().isPresent()
        ? new JwtVerifier(config.inboundJwtAudience().get(), jwtSource,
            new JwtValidator(config.peerPolicy(), clock, JwtValidator.DEFAULT_CLOCK_SKEW), source,
            auditLog)
        : null;
    this.appProbes = config.healthAddress().isPresent()
        ? new AppProbeRunner(config.appProbes(), port -> appAddresses.apply(port)) : null;
    if (builder.startAdmin) {
      startAdminServers();
    }
  }

  /**
   * Starts the admin endpoint, the health port and the metrics port, once (the builder does unless told not to).
   * The javaagent defers them while it instruments server sockets: binding them would load the
   * very socket class the application may be waiting on for the hooks.
   */
  public synchronized void startAdminServers() {
    if (adminStarted) {
      return;
    }
    adminStarted = true;
    if (!config.adminAddress().isPresent() && !config.healthAddress().isPresent()
        && !config.metricsAddress().isPresent()) {
      // All three off: nothing of the admin endpoint is loaded at all.
      return;
    }
    // /identity (recent peers) is served by the admin endpoint only, never by the health or
    // metrics port, so recentPeers is null exactly when no handler can read it.
    AdminEndpoints endpoints = new AdminEndpoints(source, config.peerPolicy(), config.meshHosts(),
        recentPeers, auditLog, this::metrics, clock);
    endpoints.identityExtras(() -> identityExtras.get());
    this.adminServer = startAdmin(endpoints);
    this.healthServer = startHealth(endpoints);
    this.metricsServer = startMetrics(endpoints);
  }

  /**
   * Starts the Workload API source in the background (never blocks) and assembles everything,
   * including the admin endpoint unless {@code LANYARD_ADMIN_ADDRESS=off}. Unless the operator
   * set it, also turns off the JDK's stateless server session tickets for contexts created from
   * now on, so that {@link SessionPolicy} reaches server sessions too; call this before the
   * process creates its {@code SSLContext}s.
   *
   * @param webPkiTrustManager the JVM's ordinary trust manager for peers without a SPIFFE ID
   */
  public static LanyardTls start(LanyardConfig config, X509TrustManager webPkiTrustManager) {
    return start(config, webPkiTrustManager, true);
  }

  /** As {@link #start(LanyardConfig, X509TrustManager)}; {@code startAdmin} false: call {@link #startAdminServers()} later. */
  public static LanyardTls start(LanyardConfig config, X509TrustManager webPkiTrustManager,
      boolean startAdmin) {
    LanyardLog.setDebug(config.debug());
    if (System.getProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY) == null) {
      SessionPolicy.disableStatelessServerTickets();
    }
    return builder(config)
        .svidSource(WorkloadApiSvidSource.start(config.workloadApiAddress()))
        .webPkiTrustManager(webPkiTrustManager)
        .startAdminServer(startAdmin)
        .build();
  }

  public static Builder builder(LanyardConfig config) {
    return new Builder(config);
  }

  /**
   * The JVM's ordinary X.509 trust manager (default trust store) from a {@link
   * TrustManagerFactory} of {@code algorithm}. The javaagent passes the algorithm the JVM had
   * before it was hooked (normally {@code PKIX}), so this is never Lanyard's own.
   */
  public static X509TrustManager webPkiTrustManager(String algorithm) {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance(algorithm);
      factory.init((KeyStore) null);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509TrustManager) {
          return (X509TrustManager) manager;
        }
      }
      throw new IllegalStateException("TrustManagerFactory " + algorithm + " has no X509TrustManager");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the JVM's default trust store with "
          + algorithm + ": " + e.getMessage(), e);
    }
  }

  /**
   * A new {@code SSLContext} ("TLS") with Lanyard's key and trust managers, tracked by the session
   * policy. Callers that create engines or sockets from it enable {@link #PROTOCOLS} and, on
   * server ports not in {@link LanyardConfig#plainPorts()}, require client authentication.
   */
  public SSLContext newSslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
      sessionPolicy.track(context);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create a TLS SSLContext: " + e.getMessage(), e);
    }
  }

  /**
   * Waits for the first X.509-SVID, at most the rest of the startup wait.
   *
   * @return {@link StartupState#READY}, or {@link StartupState#DEGRADED} under {@code then=degrade}
   * @throws NoSvidException under {@code then=fail}; its message says what to check
   */
  public StartupState awaitStartup() {
    try {
      firstSvid.identity();
      return StartupState.READY;
    } catch (NoSvidException e) {
      if (config.startupPolicy().afterWait() == StartupPolicy.AfterWait.FAIL) {
        throw e;
      }
      LanyardLog.warn(e.getMessage().substring("lanyard: ".length())
          + "; running degraded (then=degrade): mesh TLS fails until the SVID arrives");
      return StartupState.DEGRADED;
    }
  }

  private AdminServer startAdmin(AdminEndpoints endpoints) {
    Optional<InetSocketAddress> address = config.adminAddress();
    if (!address.isPresent()) {
      return null;
    }
    if (!address.get().isUnresolved() && !address.get().getAddress().isLoopbackAddress()) {
      LanyardLog.warn("admin endpoint on " + address.get() + ", not loopback: /identity, /audit"
          + " and /metrics (who this workload talks to) are readable by anything that reaches that"
          + " address; set " + ConfigKeys.ADMIN_ADDRESS.env() + "=127.0.0.1:<port> and probe "
          + ConfigKeys.HEALTH_ADDRESS.env() + " (GET /ready only) instead");
    }
    try {
      return AdminServer.start(address.get(), endpoints);
    } catch (IOException | RuntimeException e) {
      // The workload must start even when the admin port is taken.
      LanyardLog.warn("admin endpoint disabled: cannot listen on " + address.get() + " ("
          + e.getMessage() + "); set " + ConfigKeys.ADMIN_ADDRESS.env()
          + " to a free host:port or off");
      return null;
    }
  }

  private AdminServer startHealth(AdminEndpoints endpoints) {
    Optional<InetSocketAddress> address = config.healthAddress();
    if (!address.isPresent()) {
      return null;
    }
    try {
      return AdminServer.start("lanyard-health", address.get(),
          HealthPort.handler(endpoints, appProbes), AdminServer.READ_TIMEOUT);
    } catch (IOException | RuntimeException e) {
      // As for the admin endpoint: the probe then fails, which says more than a workload that
      // does not start.
      LanyardLog.warn("health port disabled: cannot listen on " + address.get() + " ("
          + e.getMessage() + "); set " + ConfigKeys.HEALTH_ADDRESS.env()
          + " to a free host:port or off");
      return null;
    }
  }

  private AdminServer startMetrics(AdminEndpoints endpoints) {
    Optional<InetSocketAddress> address = config.metricsAddress();
    if (!address.isPresent()) {
      return null;
    }
    try {
      return AdminServer.startMetrics(address.get(), endpoints);
    } catch (IOException | RuntimeException e) {
      // As for the admin endpoint: a scrape target that is down says so in Prometheus.
      LanyardLog.warn("metrics port disabled: cannot listen on " + address.get() + " ("
          + e.getMessage() + "); set " + ConfigKeys.METRICS_ADDRESS.env()
          + " to a free host:port or off");
      return null;
    }
  }

  /**
   * Adds host-specific fields at the end of {@code GET /identity} (never replacing the common
   * ones): the javaagent lists its TLS coverage there.
   */
  public void identityExtras(Supplier<Map<String, Object>> extras) {
    this.identityExtras = Objects.requireNonNull(extras, "extras");
  }

  /**
   * Where the application really listens on a port its {@code LANYARD_APP_PROBES} probe (the
   * javaagent: the loopback port behind an upgraded listener, which a strict listener's
   * plaintext refusal does not stand in front of). Default: loopback, same port.
   */
  public void appProbeTargets(IntFunction<InetSocketAddress> targets) {
    this.appAddresses = Objects.requireNonNull(targets, "targets");
  }

  /**
   * A peer refused our X.509-SVID with a TLS alert ({@link RefusedByPeer}): one WARN line, one
   * audit record ({@code tls.refused_by_peer}, rule {@code peer_refused_*}), a count in {@code
   * lanyard_refusals_total{direction="outbound"}}, and the message for the application's
   * exception, which keeps the TLS stack's own words at the end.
   *
   * @param peerAddress {@code host:port} of the server
   * @param peerSpiffeId the server's SPIFFE ID when its SVID was verified already, else null
   * @param tlsMessage the TLS stack's message ({@code Received fatal alert: certificate_unknown})
   * @return empty when {@code tlsMessage} reports no certificate alert (nothing is logged then)
   */
  public Optional<String> refusedByPeer(String peerAddress, String peerSpiffeId,
      String tlsMessage) {
    Optional<String> alert = RefusedByPeer.alertIn(tlsMessage);
    if (alert.isEmpty()) {
      return Optional.empty();
    }
    PeerDecision decision = RefusedByPeer.decision(peerAddress, Optional.ofNullable(peerSpiffeId),
        alert.get(), source.current(), clock.instant());
    auditLog.onDecision(decision);
    LanyardMetrics counted = metrics;
    if (counted != null) {
      counted.onRefusedByPeer(decision);
    }
    LanyardLog.warn(decision.reason());
    return Optional.of("lanyard: " + decision.reason() + " (" + tlsMessage + ")");
  }

  public LanyardConfig config() {
    return config;
  }

  public SvidSource svidSource() {
    return source;
  }

  public LanyardKeyManager keyManager() {
    return keyManager;
  }

  public LanyardTrustManager trustManager() {
    return trustManager;
  }

  /**
   * A trust manager with the same SVID source, policy, mesh hosts and listeners as {@link
   * #trustManager()}, but judging peers without a SPIFFE ID by {@code fallback}: the javaagent
   * passes the trust manager the application itself configured, so its own notion of trust for
   * non-mesh servers is kept.
   */
  public LanyardTrustManager trustManager(X509TrustManager fallback) {
    return trustManager(fallback, SpiffePeerListener.NONE);
  }

  /** As {@link #trustManager(X509TrustManager)}; {@code spiffePeers} hears of every SVID accepted. */
  public LanyardTrustManager trustManager(X509TrustManager fallback,
      SpiffePeerListener spiffePeers) {
    return new LanyardTrustManager(source, firstSvid, config.peerPolicy(),
        config.meshDestinations(), config.serverIds(), fallback, decisionListeners, clock,
        sessionPolicy, spiffePeers);
  }

  /** Track further session contexts with it (e.g. Netty's), or call {@code onRotation}. */
  public SessionPolicy sessionPolicy() {
    return sessionPolicy;
  }

  /** Adds a listener for every peer decision (e.g. the sidecar's per-connection log). */
  public void addDecisionListener(DecisionListener listener) {
    decisionListeners.add(listener);
  }

  /**
   * The metrics; made on this first call when neither {@code LANYARD_ADMIN_ADDRESS} nor {@code
   * LANYARD_METRICS_ADDRESS} is on ({@link #metricsServed()} false), and counting from then on:
   * before it nobody could have read them.
   */
  public LanyardMetrics metrics() {
    LanyardMetrics made = metrics;
    if (made == null) {
      synchronized (this) {
        made = metrics;
        if (made == null) {
          made = new LanyardMetrics(source, clock);
          metrics = made;
        }
      }
    }
    return made;
  }

  /** Whether an admin endpoint or a metrics port is configured, so metrics are read at all. */
  public boolean metricsServed() {
    return config.adminAddress().isPresent() || config.metricsAddress().isPresent();
  }

  /** Counts a peer decision in the metrics, if they exist (see {@link #metrics()}). */
  private void countDecision(PeerDecision decision) {
    LanyardMetrics counted = metrics;
    if (counted != null) {
      counted.onDecision(decision);
    }
  }

  public AuditLog auditLog() {
    return auditLog;
  }

  /**
   * Outbound JWT-SVIDs ({@code LANYARD_JWT_AUDIENCES}): the {@code Authorization} value for a
   * request, if it gets one. Always present; {@link JwtSender#enabled()} is false when unset.
   */
  public JwtSender jwtSender() {
    JwtSender sender = jwtSender;
    if (sender == null) {
      synchronized (this) {
        sender = jwtSender;
        if (sender == null) {
          sender = new JwtSender(config.jwtAudiences(), jwtSource, auditLog,
              JwtSender.DEFAULT_WAIT);
          jwtSender = sender;
        }
      }
    }
    return sender;
  }

  /** Inbound JWT-SVID checks ({@code LANYARD_INBOUND_JWT_AUDIENCE}); empty when unset. */
  public Optional<JwtVerifier> jwtVerifier() {
    return Optional.ofNullable(jwtVerifier);
  }

  /** JWT-SVIDs and JWT bundles; empty when neither JWT knob is set and none was given. */
  public Optional<JwtSvidSource> jwtSource() {
    return Optional.ofNullable(jwtSource);
  }

  /** The running admin endpoint; empty when off or when its address could not be bound. */
  public Optional<AdminServer> adminServer() {
    return Optional.ofNullable(adminServer);
  }

  /** The running metrics port ({@code /metrics} only); empty when off or not bound. */
  public Optional<AdminServer> metricsServer() {
    return Optional.ofNullable(metricsServer);
  }

  /** The running health port (readiness only); empty when off or not bound. */
  public Optional<AdminServer> healthServer() {
    return Optional.ofNullable(healthServer);
  }

  @Override
  public void close() {
    sessionPolicy.close();
    AdminServer adminServer = this.adminServer;
    AdminServer healthServer = this.healthServer;
    if (adminServer != null) {
      adminServer.close();
    }
    if (metricsServer != null) {
      metricsServer.close();
    }
    if (healthServer != null) {
      healthServer.close();
    }
    if (appProbes != null) {
      appProbes.close();
    }
    if (jwtSource != null) {
      jwtSource.close();
    }
    source.close();
  }

  /** Assembles a {@link LanyardTls}; tests and embedders pass their own source. */
  public static final class Builder {
    private final LanyardConfig config;
    private SvidSource source;
    private X509TrustManager webPki;
    private PrintStream auditOutput = System.err;
    private Clock clock = Clock.systemUTC();
    private boolean startAdmin = true;
    private JwtSvidSource jwtSource;

    private Builder(LanyardConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    public Builder svidSource(SvidSource value) {
      this.source = value;
      return this;
    }

    /**
     * Where JWT-SVIDs and JWT bundles come from; by default a {@link WorkloadApiJwtSource} on the
     * config's Workload API address, only when a JWT knob is set.
     */
    public Builder jwtSource(JwtSvidSource value) {
      this.jwtSource = value;
      return this;
    }

    public Builder webPkiTrustManager(X509TrustManager value) {
      this.webPki = value;
      return this;
    }

    /** Where audit records go (stderr by default). */
    public Builder auditOutput(PrintStream value) {
      this.auditOutput = value;
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = value;
      return this;
    }

    /**
     * Whether to start the admin endpoint at {@link LanyardConfig#adminAddress()} and the health
     * port at {@link LanyardConfig#healthAddress()} (default yes).
     */
    public Builder startAdminServer(boolean value) {
      this.startAdmin = value;
      return this;
    }

    public LanyardTls build() {
      return new LanyardTls(this);
    }
  }
}
