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
    X509TrustManager trust = delegate();
    if (trust instanceof X509ExtendedTrustManager) {
      ((X509ExtendedTrustManager) trust).checkClientTrusted(chain, authType, socket);
    } else {
      trust.checkClientTrusted(chain, authType);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    X509TrustManager trust = delegate();
    if (trust instanceof X509ExtendedTrustManager) {
      ((X509ExtendedTrustManager) trust).checkClientTrusted(chain, authType, engine);
    } else {
      trust.checkClientTrusted(chain, authType);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    X509TrustManager trust = delegate();
    if (trust instanceof X509ExtendedTrustManager) {
      ((X509ExtendedTrustManager) trust).checkServerTrusted(chain, authType, socket);
    } else {
      trust.checkServerTrusted(chain, authType);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    X509TrustManager trust = delegate();
    if (trust instanceof X509ExtendedTrustManager) {
      ((X509ExtendedTrustManager) trust).checkServerTrusted(chain, authType, engine);
    } else {
      trust.checkServerTrusted(chain, authType);
    }
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate().getAcceptedIssuers();
  }
}
