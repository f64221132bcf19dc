package dev.lanyard.agent;

import dev.lanyard.tls.LanyardTls;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The JVM's ordinary trust manager (cacerts or {@code javax.net.ssl.trustStore}), loaded on first
 * use rather than in premain, where reading the trust store would add to every JVM's start-up.
 */
final class LazyJvmTrustManager extends X509ExtendedTrustManager {
  private volatile X509TrustManager delegate;

  private X509TrustManager delegate() {
    X509TrustManager current = delegate;
    if (current == null) {
      synchronized (this) {
        current = delegate;
        if (current == null) {
          current = LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm());
          delegate = current;
        }
      }
    }
    return current;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, authType, true, trust -> trust.checkClientTrusted(chain, authType, socket));
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType, true, trust -> trust.checkClientTrusted(chain, authType, engine));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, authType, false, trust -> trust.checkServerTrusted(chain, authType, socket));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType, false, trust -> trust.checkServerTrusted(chain, authType, engine));
  }

  /** The socket/engine-aware check when the JVM's manager has one, else its plain check. */
  private void check(X509Certificate[] chain, String authType, boolean client, ExtendedCheck extended)
      throws CertificateException {
    X509TrustManager trust = delegate();
    if (trust instanceof X509ExtendedTrustManager) {
      extended.run((X509ExtendedTrustManager) trust);
    } else if (client) {
      trust.checkClientTrusted(chain, authType);
    } else {
      trust.checkServerTrusted(chain, authType);
    }
  }

  /** One of the socket- or engine-aware checks of an extended trust manager. */
  private interface ExtendedCheck {
    void run(X509ExtendedTrustManager trust) throws CertificateException;
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate().getAcceptedIssuers();
  }
}
