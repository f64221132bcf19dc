package dev.lanyard.agent;

import dev.lanyard.tls.SessionPolicy;
import java.lang.reflect.Method;
import java.util.Enumeration;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * Hands the session caches of every SSLContext the application initialises (through the hook, so
 * with Lanyard's managers) to the {@link SessionPolicy}: without it, a new connection of an
 * OkHttp or JDK client would resume a session made with the previous SVID. The caches are only
 * reachable through the context's SPI, whose package BootstrapInjector opened to this module.
 */
final class SessionCaches {
  private static final Method CLIENT = accessible("engineGetClientSessionContext");
  private static final Method SERVER = accessible("engineGetServerSessionContext");

  private final SessionPolicy policy;

  SessionCaches(SessionPolicy policy) {
    this.policy = policy;
  }

  void track(Object contextSpi) {
    if (!(contextSpi instanceof SSLContextSpi)) {
      return;
    }
    try {
      policy.track((SSLSessionContext) CLIENT.invoke(contextSpi));
      policy.track((SSLSessionContext) SERVER.invoke(contextSpi));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the session caches of " + contextSpi, e);
    }
  }

  /**
   * For a context initialised before the hooks, now holding Lanyard's managers: invalidates every
   * session it cached without them (a resumption would skip the SVID and the SPIFFE check), then
   * tracks it. Returns how many sessions were dropped.
   */
  int adopt(Object contextSpi) {
    if (!(contextSpi instanceof SSLContextSpi)) {
      return 0;
    }
    int dropped = 0;
    try {
      for (Method caches : new Method[] {CLIENT, SERVER}) {
        SSLSessionContext cache = (SSLSessionContext) caches.invoke(contextSpi);
        if (cache == null) {
          continue;
        }
        for (Enumeration<byte[]> ids = cache.getIds(); ids.hasMoreElements(); ) {
          SSLSession session = cache.getSession(ids.nextElement());
          if (session != null) {
            session.invalidate();
            dropped++;
          }
        }
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the session caches of " + contextSpi, e);
    }
    track(contextSpi);
    return dropped;
  }

  private static Method accessible(String name) {
    try {
      Method method = SSLContextSpi.class.getDeclaredMethod(name);
      method.setAccessible(true);
      return method;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot open SSLContextSpi." + name, e);
    }
  }
}
