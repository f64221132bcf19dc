package dev.lanyard.agent.bootstrap;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The only Lanyard class that advice inlined into JDK and library classes calls. It lives on the
 * bootstrap class path, so every class loader sees the same one. Until the installer sets the
 * hooks it answers "leave things as they are" (the hooks are installed before any
 * instrumentation is). A hook that throws never throws into the host's TLS code; what it answers
 * instead depends on what the hook is for (docs/ARCHITECTURE.md, "When a hook fails"):
 *
 * <ul>
 *   <li>where Lanyard enforces (the managers a TLS context gets, client-auth, Netty contexts): fail
 *       closed. The context refuses every peer and presents nothing ({@link FailClosedManagers}),
 *       a server demands a client certificate, a Netty context is not built: never the caller's
 *       Web PKI managers in Lanyard's place;
 *   <li>where Lanyard only relaxes a library's own check for an SVID it accepted (host names, chain
 *       cleaning, Jetty's SNI check): the library's own, stricter answer;
 *   <li>where Lanyard adds a credential (JWT-SVIDs): the request goes as the application wrote it,
 *       and the receiver, which requires the token, refuses it.
 * </ul>
 *
 * <p>Each failing hook is logged once, on its own line ({@link HookFailures}).
 */
public final class LanyardBridge {
  private static volatile TlsHooks hooks;

  private static final String REFUSES_EVERY_PEER = "TLS contexts it failed for refuse every peer"
      + " and present no certificate (fail closed: never Web PKI in Lanyard's place)";
  private static final String JWT_NOT_ADDED = "requests go without a JWT-SVID, and receivers"
      + " that require one refuse them";

  private LanyardBridge() {}

  public static void install(TlsHooks installed) {
    hooks = installed;
  }

  public static boolean installed() {
    return hooks != null;
  }

  public static KeyManager[] keyManagers(KeyManager[] requested) {
    TlsHooks current = hooks;
    if (current == null) {
      return requested;
    }
    try {
      return current.keyManagers(requested);
    } catch (Throwable t) {
      HookFailures.report("keyManagers", "TLS contexts initialised meanwhile present no"
          + " certificate, so they serve nothing and mesh servers refuse them (fail closed)", t);
      return new KeyManager[] {FailClosedManagers.keyManager()};
    }
  }

  public static TrustManager[] trustManagers(TrustManager[] requested) {
    TlsHooks current = hooks;
    if (current == null) {
      return requested;
    }
    try {
      return current.trustManagers(requested);
    } catch (Throwable t) {
      HookFailures.report("trustManagers", REFUSES_EVERY_PEER, t);
      return new TrustManager[] {FailClosedManagers.trustManager("trustManagers")};
    }
  }

  /**
   * Puts a new context's session caches under the session policy; false when that failed, and the
   * caller must then give the context {@link #failClosedKeyManager()} and {@link
   * #failClosedTrustManager} (its sessions would outlive rotations and expiries).
   */
  public static boolean onSslContextInitialized(Object contextSpi) {
    TlsHooks current = hooks;
    if (current == null) {
      return true;
    }
    try {
      current.onSslContextInitialized(contextSpi);
      return true;
    } catch (Throwable t) {
      HookFailures.report("onSslContextInitialized", REFUSES_EVERY_PEER, t);
      return false;
    }
  }

  /** For a context whose hooks failed: presents no certificate. */
  public static X509ExtendedKeyManager failClosedKeyManager() {
    return FailClosedManagers.keyManager();
  }

  /** For a context whose hooks failed: refuses every peer, naming {@code hook}. */
  public static X509ExtendedTrustManager failClosedTrustManager(String hook) {
    return FailClosedManagers.trustManager(hook);
  }

  /**
   * Lanyard's managers for a context initialised before the hooks, or null (hooks not installed
   * yet) to leave it as is; fail-closed managers when the hook fails.
   */
  public static Object[] adoptManagers(X509ExtendedKeyManager keyManager,
      X509TrustManager trustManager) {
    TlsHooks current = hooks;
    if (current == null) {
      return null;
    }
    try {
      return current.adoptManagers(keyManager, trustManager);
    } catch (Throwable t) {
      HookFailures.report("adoptManagers", REFUSES_EVERY_PEER, t);
      return new Object[] {failClosedKeyManager(), failClosedTrustManager("adoptManagers")};
    }
  }

  /**
   * Drops the sessions an adopted context cached before the hooks; false when that failed, and
   * the caller must then give it the fail-closed managers.
   */
  public static boolean onEarlyContextAdopted(Object contextSpi) {
    TlsHooks current = hooks;
    if (current == null) {
      return true;
    }
    try {
      current.onEarlyContextAdopted(contextSpi);
      return true;
    } catch (Throwable t) {
      HookFailures.report("onEarlyContextAdopted", REFUSES_EVERY_PEER, t);
      return false;
    }
  }

  public static boolean requireClientCertificate(int localPort) {
    TlsHooks current = hooks;
    if (current == null) {
      return false;
    }
    try {
      return current.requireClientCertificate(localPort);
    } catch (Throwable t) {
      HookFailures.report("requireClientCertificate", "every TLS server demands a client"
          + " certificate, LANYARD_PLAIN_PORTS included (fail closed)", t);
      return true;
    }
  }

  /**
   * Called when a JDK SSLEngine, SSLSocket or SSLServerSocket may have entered server mode or had
   * its client-auth setting changed (by a setter or by SSLParameters): a mesh server demands the
   * client's SVID, and "want" becomes "need".
   */
  public static void enforceClientAuth(Object tls) {
    try {
      if (tls instanceof SSLEngine) {
        SSLEngine engine = (SSLEngine) tls;
        if (!engine.getUseClientMode() && !engine.getNeedClientAuth()
            && requireClientCertificate(-1)) {
          engine.setNeedClientAuth(true);
        }
      } else if (tls instanceof SSLSocket) {
        SSLSocket socket = (SSLSocket) tls;
        if (!socket.getUseClientMode() && !socket.getNeedClientAuth()
            && requireClientCertificate(socket.getLocalPort())) {
          socket.setNeedClientAuth(true);
        }
      } else if (tls instanceof SSLServerSocket) {
        SSLServerSocket server = (SSLServerSocket) tls;
        // Unbound, its port is unknown: accept() decides, so that an exempt port stays exempt.
        if (server.isBound() && !server.getUseClientMode() && !server.getNeedClientAuth()
            && requireClientCertificate(server.getLocalPort())) {
          server.setNeedClientAuth(true);
        }
      }
    } catch (Throwable t) {
      HookFailures.report("enforceClientAuth", "this TLS server's client-auth setting is left as"
          + " the JDK reported it", t);
    }
  }

  public static boolean isAuthorizedSpiffePeer(String host, SSLSession session) {
    TlsHooks current = hooks;
    if (current == null || session == null || host == null) {
      return false;
    }
    try {
      return current.isAuthorizedSpiffePeer(host, session);
    } catch (Throwable t) {
      HookFailures.report("isAuthorizedSpiffePeer",
          "the library's own host-name check decides, and it refuses SVIDs", t);
      return false;
    }
  }

  public static boolean isAuthorizedSpiffeLeaf(Object certificate) {
    TlsHooks current = hooks;
    if (current == null || certificate == null) {
      return false;
    }
    try {
      return current.isAuthorizedSpiffeLeaf(certificate);
    } catch (Throwable t) {
      HookFailures.report("isAuthorizedSpiffeLeaf",
          "OkHttp's own chain cleaning decides and cannot clean SVID chains: the application"
              + " sees no peer certificates and pinned calls fail (the peer itself was verified"
              + " by Lanyard's trust manager)", t);
      return false;
    }
  }

  public static boolean isOwnSvid(Object certificateHolder) {
    TlsHooks current = hooks;
    if (current == null || certificateHolder == null) {
      return false;
    }
    try {
      return current.isOwnSvid(certificateHolder);
    } catch (Throwable t) {
      HookFailures.report("isOwnSvid",
          "Jetty's own SNI check decides, and it refuses hosts an SVID does not name", t);
      return false;
    }
  }

  /**
   * Puts Lanyard's managers on a Netty {@code SslContextBuilder}; false when that failed, and the
   * caller must then fail the build with {@link #nettyBuildRefused()}: a context built with the
   * application's own managers would verify mesh peers by Web PKI.
   */
  public static boolean beforeNettySslContextBuild(Object builder) {
    TlsHooks current = hooks;
    if (current == null) {
      return true;
    }
    try {
      current.beforeNettySslContextBuild(builder);
      return true;
    } catch (Throwable t) {
      HookFailures.report("beforeNettySslContextBuild", "Netty SslContexts are not built (fail"
          + " closed)", t);
      return false;
    }
  }

  /** What a Netty {@code SslContextBuilder.build()} throws when Lanyard could not configure it. */
  public static javax.net.ssl.SSLException nettyBuildRefused() {
    return new javax.net.ssl.SSLException("lanyard: refused to build this Netty SslContext:"
        + " Lanyard's beforeNettySslContextBuild hook failed, and a context with the"
        + " application's own managers would present no SVID and verify mesh peers by Web PKI"
        + " (fail closed); the javaagent's ERROR line says why; restart the workload");
  }

  /** JDK HttpClient: the request to send (maybe with a JWT-SVID); the same one on any problem. */
  public static Object jdkHttpRequest(Object request) {
    TlsHooks current = hooks;
    if (current == null || request == null) {
      return request;
    }
    try {
      return current.jdkHttpRequest(request);
    } catch (Throwable t) {
      HookFailures.report("jdkHttpRequest", JWT_NOT_ADDED, t);
      return request;
    }
  }

  /**
   * JSSE received a fatal alert: the exception's message, with Lanyard's explanation when a server
   * refused our X.509-SVID; {@code diagnostic} itself on any problem (telemetry: the alert and the
   * connection's failure are JSSE's either way).
   */
  public static String refusedByPeer(Object transport, String diagnostic) {
    TlsHooks current = hooks;
    if (current == null || transport == null) {
      return diagnostic;
    }
    try {
      String explained = current.refusedByPeer(transport, diagnostic);
      return explained == null ? diagnostic : explained;
    } catch (Throwable t) {
      HookFailures.report("refusedByPeer", "a refused handshake's exception carries JSSE's own"
          + " message without the peer and the likely cause", t);
      return diagnostic;
    }
  }

  /** HttpsURLConnection: adds a JWT-SVID to the headers about to be written, when due. */
  public static void urlConnectionHeaders(java.net.URL url, Object requestHeaders) {
    TlsHooks current = hooks;
    if (current == null || url == null || requestHeaders == null) {
      return;
    }
    try {
      current.urlConnectionHeaders(url, requestHeaders);
    } catch (Throwable t) {
      HookFailures.report("urlConnectionHeaders", JWT_NOT_ADDED, t);
    }
  }

  /** OkHttp: the request to write (maybe with a JWT-SVID); the same one on any problem. */
  public static Object okHttpRequest(Object request) {
    TlsHooks current = hooks;
    if (current == null || request == null) {
      return request;
    }
    try {
      return current.okHttpRequest(request);
    } catch (Throwable t) {
      HookFailures.report("okHttpRequest", JWT_NOT_ADDED, t);
      return request;
    }
  }

  /** Apache HttpClient 5: the JWT-SVID header added to {@code request}, or null. */
  public static Object apacheRequest(Object request, Object connection) {
    TlsHooks current = hooks;
    if (current == null || request == null) {
      return null;
    }
    try {
      return current.apacheRequest(request, connection);
    } catch (Throwable t) {
      HookFailures.report("apacheRequest", JWT_NOT_ADDED, t);
      return null;
    }
  }

  /** Apache HttpClient 5: removes the header {@link #apacheRequest} added. */
  public static void apacheRequestDone(Object request, Object header) {
    TlsHooks current = hooks;
    if (current == null || request == null || header == null) {
      return;
    }
    try {
      current.apacheRequestDone(request, header);
    } catch (Throwable t) {
      HookFailures.report("apacheRequestDone",
          "the JWT-SVID header stays on this request object", t);
    }
  }

}
