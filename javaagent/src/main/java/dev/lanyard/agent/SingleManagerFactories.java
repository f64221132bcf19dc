package dev.lanyard.agent;

import java.security.KeyStore;
import java.security.Provider;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;

/** Key/trust manager factories that hand out one given manager (for APIs that want factories). */
final class SingleManagerFactories {
  private static final Provider PROVIDER = new Provider("Lanyard", "1.0", "Lanyard SVID managers") {
    private static final long serialVersionUID = 1L;
  };

  private SingleManagerFactories() {}

  static KeyManagerFactory keyManagerFactory(KeyManager manager) {
    return new KeyManagerFactory(new KeyManagerFactorySpi() {
      @Override
      protected void engineInit(KeyStore keyStore, char[] password) {}

      @Override
      protected void engineInit(ManagerFactoryParameters parameters) {}

      @Override
      protected KeyManager[] engineGetKeyManagers() {
        return new KeyManager[] {manager};
      }
    }, PROVIDER, "LanyardSvid") {};
  }

  static TrustManagerFactory trustManagerFactory(TrustManager manager) {
    return new TrustManagerFactory(new TrustManagerFactorySpi() {
      @Override
      protected void engineInit(KeyStore keyStore) {}

      @Override
      protected void engineInit(ManagerFactoryParameters parameters) {}

      @Override
      protected TrustManager[] engineGetTrustManagers() {
        return new TrustManager[] {manager};
      }
    }, PROVIDER, "LanyardSvid") {};
  }
}
