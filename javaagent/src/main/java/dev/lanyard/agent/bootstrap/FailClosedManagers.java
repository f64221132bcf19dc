package dev.lanyard.agent.bootstrap;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What a TLS context gets when the Lanyard hook that should have given it Lanyard's managers
 * failed: a trust manager that refuses every peer and a key manager that presents nothing. An
 * enforcement agent must never quietly hand the connection back to Web PKI (the caller's own
 * managers) or to no verification at all; a loud refusal is the safe answer. Both are marked
 * {@link LanyardManaged} so that nothing wraps them with a fallback later.
 */
final class FailClosedManagers {
  private FailClosedManagers() {}

  static X509ExtendedTrustManager trustManager(String hook) {
    return new RefusingTrustManager(hook);
  }

  static X509ExtendedKeyManager keyManager() {
    return new NoKeyManager();
  }

  /** Refuses every chain, naming the peer, where it was met and the hook that failed. */
  static final class RefusingTrustManager extends X509ExtendedTrustManager
      implements LanyardManaged {
    private final String hook;

    RefusingTrustManager(String hook) {
      this.hook = hook;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw refusal("inbound", chain, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw refusal("inbound", chain, where(socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw refusal("inbound", chain, where(engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw refusal("outbound", chain, null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw refusal("outbound", chain, where(socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw refusal("outbound", chain, where(engine));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }

    private CertificateException refusal(String direction, X509Certificate[] chain,
        String where) {
      return new CertificateException("lanyard: refused " + direction + " peer " + peer(chain)
          + (where == null ? "" : " at " + where) + ": Lanyard's " + hook + " hook failed, so"
          + " this TLS context refuses every peer rather than fall back to Web PKI (fail closed);"
          + " the javaagent's ERROR line says why; restart the workload");
    }
  }

  /** Presents no certificate: a server cannot serve, a client is refused by any mesh server. */
  static final class NoKeyManager extends X509ExtendedKeyManager implements LanyardManaged {
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers,
        SSLEngine engine) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers,
        SSLEngine engine) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return null;
    }
  }

  /** The leaf's SPIFFE ID when it has one, else its subject. */
  static String peer(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return "(no certificate)";
    }
    try {
      Collection<List<?>> names = chain[0].getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> name : names) {
          Object value = name.size() > 1 ? name.get(1) : null;
          // spiffe-tls's SpiffeIdClaim rule (the first URI SAN of scheme spiffe, in any case),
          // which the bootstrap cannot load; FailClosedManagersTest keeps the two in step.
          if (Integer.valueOf(6).equals(name.get(0)) && value instanceof String
              && ((String) value).regionMatches(true, 0, "spiffe:", 0, "spiffe:".length())) {
            return (String) value;
          }
        }
      }
    } catch (CertificateParsingException e) {
      // named by its subject below
    }
    return "\"" + chain[0].getSubjectX500Principal().getName() + "\"";
  }

  private static String where(Socket socket) {
    if (socket == null) {
      return null;
    }
    if (socket instanceof SSLSocket) {
      SSLSession session = ((SSLSocket) socket).getHandshakeSession();
      if (session != null && session.getPeerHost() != null) {
        return session.getPeerHost() + ":" + session.getPeerPort();
      }
    }
    return socket.getInetAddress() == null ? null
        : socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
  }

  private static String where(SSLEngine engine) {
    return engine == null || engine.getPeerHost() == null ? null
        : engine.getPeerHost() + ":" + engine.getPeerPort();
  }
}
