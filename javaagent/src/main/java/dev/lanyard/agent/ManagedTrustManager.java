package dev.lanyard.agent;

import dev.lanyard.agent.bootstrap.LanyardManaged;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Lanyard's trust manager as the instrumented JVM sees it: marked {@link LanyardManaged} (so it is
 * never wrapped twice) and remembering which SPIFFE leaves it authorized (see {@link
 * AuthorizedPeers}). Every decision is the delegate's.
 */
final class ManagedTrustManager extends X509ExtendedTrustManager implements LanyardManaged {
  private final X509ExtendedTrustManager delegate;
  private final AuthorizedPeers authorized;

  ManagedTrustManager(X509ExtendedTrustManager delegate, AuthorizedPeers authorized) {
    this.delegate = delegate;
    this.authorized = authorized;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkClientTrusted(chain, authType);
    remember(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, socket);
    remember(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, engine);
    remember(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
    remember(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType, socket);
    remember(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType, engine);
    remember(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }

  private void remember(X509Certificate[] chain) {
    if (chain != null && chain.length > 0 && SpiffeLeaves.hasSpiffeId(chain[0])) {
      authorized.add(chain[0]);
    }
  }
}
