package dev.lanyard.agent.bootstrap;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * The only Lanyard class that advice inlined into JDK and library classes calls. It lives on the
 * bootstrap class path, so every class loader sees the same one. Until the installer sets the
 * hooks, and whenever a hook fails, it answers "leave things as they are": a bug in Lanyard must
 * never break the host's TLS code paths with an unexpected exception. Security does not rely on
 * these fallbacks: the hooks are installed before any instrumentation is.
 */
public final class LanyardBridge {
  private static volatile TlsHooks hooks;
  private static volatile boolean failureLogged;

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
      logOnce("keyManagers", t);
      return requested;
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
      logOnce("trustManagers", t);
      return requested;
    }
  }

  public static void onSslContextInitialized(Object contextSpi) {
    TlsHooks current = hooks;
    if (current == null) {
      return;
    }
    try {
      current.onSslContextInitialized(contextSpi);
    } catch (Throwable t) {
      logOnce("onSslContextInitialized", t);
    }
  }

  /** Lanyard's managers for a context initialised before the hooks, or null to leave it as is. */
  public static Object[] adoptManagers(X509ExtendedKeyManager keyManager,
      X509TrustManager trustManager) {
    TlsHooks current = hooks;
    if (current == null) {
      return null;
    }
    try {
      return current.adoptManagers(keyManager, trustManager);
    } catch (Throwable t) {
      logOnce("adoptManagers", t);
      return null;
    }
  }

  public static void onEarlyContextAdopted(Object contextSpi) {
    TlsHooks current = hooks;
    if (current == null) {
      return;
    }
    try {
      current.onEarlyContextAdopted(contextSpi);
    } catch (Throwable t) {
      logOnce("onEarlyContextAdopted", t);
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
      logOnce("requireClientCertificate", t);
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
      logOnce("enforceClientAuth", t);
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
      logOnce("isAuthorizedSpiffePeer", t);
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
      logOnce("isAuthorizedSpiffeLeaf", t);
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
      logOnce("isOwnSvid", t);
      return false;
    }
  }

  public static void beforeNettySslContextBuild(Object builder) {
    TlsHooks current = hooks;
    if (current == null) {
      return;
    }
    try {
      current.beforeNettySslContextBuild(builder);
    } catch (Throwable t) {
      logOnce("beforeNettySslContextBuild", t);
    }
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
      logOnce("jdkHttpRequest", t);
      return request;
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
      logOnce("urlConnectionHeaders", t);
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
      logOnce("okHttpRequest", t);
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
      logOnce("apacheRequest", t);
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
      logOnce("apacheRequestDone", t);
    }
  }

  private static void logOnce(String hook, Throwable t) {
    if (!failureLogged) {
      failureLogged = true;
      System.err.println("lanyard: ERROR in " + hook + " hook (further hook errors not logged): " + t);
    }
  }
}
