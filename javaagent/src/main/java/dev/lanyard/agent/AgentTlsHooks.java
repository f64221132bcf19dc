package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.LanyardManaged;
import dev.lanyard.agent.bootstrap.TlsHooks;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.SpiffeIdClaim;
import dev.lanyard.tls.SpiffePeerListener;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * Lanyard's answers to the instrumented TLS code: every SSLContext gets the SVID key manager and
 * the SPIFFE trust manager; what the application asked for becomes their fallback for non-mesh
 * peers (its trust manager judges non-SPIFFE servers, its key answers non-SPIFFE CAs).
 */
final class AgentTlsHooks implements TlsHooks {
  private final X509ExtendedKeyManager svidKeyManager;
  private final BiFunction<X509TrustManager, SpiffePeerListener, X509ExtendedTrustManager>
      trustManagerFactory;
  private final Supplier<X509Certificate[]> bundleAuthorities;
  private final Set<Integer> plainPorts;
  private final Supplier<java.util.Optional<String>> ownSpiffeId;
  private final SessionCaches sessionCaches;
  private final AuthorizedPeers authorized = new AuthorizedPeers();
  private final NettySslContextBuilderConfigurer netty;
  private final X509TrustManager jvmDefaultTrust = new LazyJvmTrustManager();
  private final EarlyContexts earlyContexts = new EarlyContexts();
  private final TlsCoverage coverage;
  /** Null unless {@code LANYARD_JWT_AUDIENCES} is set: no JWT class loads without it. */
  private volatile JwtRequestHeaders jwt;
  private volatile PeerRefusals refusals = (address, spiffeId, message) -> java.util.Optional.empty();

  AgentTlsHooks(X509ExtendedKeyManager svidKeyManager,
      BiFunction<X509TrustManager, SpiffePeerListener, X509ExtendedTrustManager>
          trustManagerFactory,
      Supplier<X509Certificate[]> bundleAuthorities, Set<Integer> plainPorts,
      Supplier<java.util.Optional<String>> ownSpiffeId, SessionCaches sessionCaches,
      TlsCoverage coverage) {
    this.coverage = coverage;
    this.ownSpiffeId = ownSpiffeId;
    this.sessionCaches = sessionCaches;
    this.svidKeyManager = svidKeyManager;
    this.trustManagerFactory = trustManagerFactory;
    this.bundleAuthorities = bundleAuthorities;
    this.plainPorts = Set.copyOf(plainPorts);
    this.netty = new NettySslContextBuilderConfigurer(
        this::managedKeyManager, this::managedTrustManager, this::requireClientCertificate);
  }

  /** Who words a server's refusal of our SVID ({@code LanyardTls#refusedByPeer}). */
  void refusals(PeerRefusals words) {
    this.refusals = words;
  }

  @Override
  public String refusedByPeer(Object transport, String diagnostic) {
    return PeerAlerts.clientSide(transport)
        .flatMap(peer -> refusals.refusedByPeer(peer.address(), peer.spiffeId(), diagnostic))
        .orElse(null);
  }

  /** Where outbound HTTP requests get their JWT-SVIDs ({@code LANYARD_JWT_AUDIENCES}). */
  void jwt(JwtRequestHeaders headers) {
    this.jwt = headers;
  }

  @Override
  public Object jdkHttpRequest(Object request) throws Exception {
    JwtRequestHeaders headers = jwt;
    return headers == null ? request : headers.jdkHttpRequest(request);
  }

  @Override
  public void urlConnectionHeaders(java.net.URL url, Object requestHeaders) throws Exception {
    JwtRequestHeaders headers = jwt;
    if (headers != null) {
      headers.urlConnectionHeaders(url, requestHeaders);
    }
  }

  @Override
  public Object okHttpRequest(Object request) throws Exception {
    JwtRequestHeaders headers = jwt;
    return headers == null ? request : headers.okHttpRequest(request);
  }

  @Override
  public Object apacheRequest(Object request, Object connection) throws Exception {
    JwtRequestHeaders headers = jwt;
    return headers == null ? null : headers.apacheRequest(request, connection);
  }

  @Override
  public void apacheRequestDone(Object request, Object header) throws Exception {
    JwtRequestHeaders headers = jwt;
    if (headers != null) {
      headers.apacheRequestDone(request, header);
    }
  }

  @Override
  public KeyManager[] keyManagers(KeyManager[] requested) {
    if (containsManaged(requested)) {
      return requested;
    }
    return new KeyManager[] {managedKeyManager(firstOf(requested, X509KeyManager.class))};
  }

  @Override
  public TrustManager[] trustManagers(TrustManager[] requested) {
    if (containsManaged(requested)) {
      return requested;
    }
    return new TrustManager[] {managedTrustManager(firstOf(requested, X509TrustManager.class))};
  }

  @Override
  public void onSslContextInitialized(Object contextSpi) {
    sessionCaches.track(contextSpi);
  }

  @Override
  public Object[] adoptManagers(X509ExtendedKeyManager keyManager, X509TrustManager trustManager) {
    return new Object[] {managedKeyManager(keyManager), managedTrustManager(trustManager)};
  }

  @Override
  public void onEarlyContextAdopted(Object contextSpi) {
    int dropped = sessionCaches.adopt(contextSpi);
    if (earlyContexts.firstSighting(contextSpi)) {
      String context = contextSpi.getClass().getName();
      String firstUsedBy = EarlyContexts.firstApplicationFrame();
      coverage.adopted(context, firstUsedBy, dropped);
      LanyardLog.info("an SSLContext initialised before the javaagent's hooks (" + context
          + ", e.g. kept by another -javaagent listed before Lanyard's) now presents the SVID and"
          + " verifies peers by SPIFFE ID; " + dropped + " session(s) it cached before were"
          + " dropped; first used since by " + firstUsedBy);
    }
  }

  @Override
  public boolean requireClientCertificate(int localPort) {
    return localPort < 0 || !plainPorts.contains(localPort);
  }

  @Override
  public boolean isAuthorizedSpiffePeer(String host, SSLSession session) {
    return authorized.containsFor(session, host);
  }

  @Override
  public boolean isAuthorizedSpiffeLeaf(Object certificate) {
    return certificate instanceof X509Certificate && authorized.contains((X509Certificate) certificate);
  }

  @Override
  public boolean isOwnSvid(Object certificateHolder) {
    Object certificate = certificateHolder;
    if (!(certificate instanceof X509Certificate)) {
      try {
        certificate = certificateHolder.getClass().getMethod("getCertificate").invoke(certificateHolder);
      } catch (ReflectiveOperationException e) {
        return false;
      }
    }
    if (!(certificate instanceof X509Certificate)) {
      return false;
    }
    Optional<String> spiffeId = SpiffeIdClaim.of((X509Certificate) certificate);
    return spiffeId.isPresent() && ownSpiffeId.get().map(spiffeId.get()::equals).orElse(false);
  }

  @Override
  public void beforeNettySslContextBuild(Object builder) {
    try {
      netty.configure(builder);
    } catch (Exception e) {
      throw new IllegalStateException("cannot configure " + builder.getClass().getName(), e);
    }
  }

  /**
   * A server context for Lanyard's own mTLS listeners ({@code LANYARD_UPGRADE_INBOUND}): the same
   * managers every application context gets, and (through the context hook) the session policy.
   */
  javax.net.ssl.SSLContext newListenerContext() {
    try {
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {managedKeyManager(null)},
          new TrustManager[] {managedTrustManager(null)}, null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the TLS context of Lanyard's listeners", e);
    }
  }

  X509KeyManager managedKeyManager(X509KeyManager application) {
    if (application instanceof LanyardManaged) {
      return application;
    }
    return new ManagedKeyManager(svidKeyManager, application, this::bundleSubjects);
  }

  X509TrustManager managedTrustManager(X509TrustManager application) {
    if (application instanceof LanyardManaged) {
      return application;
    }
    X509TrustManager fallback = application != null ? application : jvmDefaultTrust;
    return new ManagedTrustManager(trustManagerFactory.apply(fallback, authorized));
  }

  private Set<Principal> bundleSubjects() {
    Set<Principal> subjects = new HashSet<>();
    for (X509Certificate authority : bundleAuthorities.get()) {
      subjects.add(authority.getSubjectX500Principal());
    }
    return subjects;
  }

  private static boolean containsManaged(Object[] managers) {
    if (managers == null) {
      return false;
    }
    for (Object manager : managers) {
      if (manager instanceof LanyardManaged) {
        return true;
      }
    }
    return false;
  }

  private static <T> T firstOf(Object[] managers, Class<T> type) {
    if (managers == null) {
      return null;
    }
    for (Object manager : managers) {
      if (type.isInstance(manager)) {
        return type.cast(manager);
      }
    }
    return null;
  }
}
