package dev.lanyard.agent;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * Puts Lanyard's managers on a Netty {@code SslContextBuilder} (any copy: Netty, gRPC's shaded
 * Netty) just before it builds, by reflection on its stable public methods and private fields:
 * the trust manager keeps whatever the application configured as its fallback for non-SPIFFE
 * peers, the key manager presents the SVID, and a server demands client certificates.
 */
final class NettySslContextBuilderConfigurer {
  private final Function<X509KeyManager, X509KeyManager> keyManagers;
  private final Function<X509TrustManager, X509TrustManager> trustManagers;
  private final java.util.function.IntPredicate requireClientCertificate;

  NettySslContextBuilderConfigurer(Function<X509KeyManager, X509KeyManager> keyManagers,
      Function<X509TrustManager, X509TrustManager> trustManagers,
      java.util.function.IntPredicate requireClientCertificate) {
    this.keyManagers = keyManagers;
    this.trustManagers = trustManagers;
    this.requireClientCertificate = requireClientCertificate;
  }

  void configure(Object builder) throws Exception {
    Class<?> type = builder.getClass();
    boolean forServer = (Boolean) field(type, "forServer").get(builder);

    X509TrustManager appTrust = applicationTrustManager(builder, type);
    invoke(builder, "trustManager", TrustManagerFactory.class,
        SingleManagerFactories.trustManagerFactory(trustManagers.apply(appTrust)));

    X509KeyManager appKeys = applicationKeyManager(builder, type);
    invoke(builder, "keyManager", KeyManagerFactory.class,
        SingleManagerFactories.keyManagerFactory(keyManagers.apply(appKeys)));

    if (forServer && requireClientCertificate.test(-1)) {
      Method clientAuth = method(type, "clientAuth");
      @SuppressWarnings({"unchecked", "rawtypes"})
      Object require = Enum.valueOf((Class) clientAuth.getParameterTypes()[0], "REQUIRE");
      clientAuth.invoke(builder, require);
    }
  }

  /** What the application configured: its TrustManagerFactory, its CA certificates, or null. */
  private static X509TrustManager applicationTrustManager(Object builder, Class<?> type)
      throws Exception {
    TrustManagerFactory factory = (TrustManagerFactory) field(type, "trustManagerFactory").get(builder);
    if (factory == null) {
      X509Certificate[] cas = (X509Certificate[]) field(type, "trustCertCollection").get(builder);
      if (cas == null || cas.length == 0) {
        return null;
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.length; i++) {
        store.setCertificateEntry("ca-" + i, cas[i]);
      }
      factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
    }
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509TrustManager) {
        return (X509TrustManager) manager;
      }
    }
    return null;
  }

  private static X509KeyManager applicationKeyManager(Object builder, Class<?> type)
      throws Exception {
    KeyManagerFactory factory = (KeyManagerFactory) field(type, "keyManagerFactory").get(builder);
    if (factory == null) {
      return null;
    }
    for (KeyManager manager : factory.getKeyManagers()) {
      if (manager instanceof X509KeyManager) {
        return (X509KeyManager) manager;
      }
    }
    return null;
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    Field field = type.getDeclaredField(name);
    field.setAccessible(true);
    return field;
  }

  private static Method method(Class<?> type, String name) throws NoSuchMethodException {
    for (Method method : type.getMethods()) {
      if (method.getName().equals(name) && method.getParameterCount() == 1
          && method.getParameterTypes()[0].isEnum()) {
        return method;
      }
    }
    throw new NoSuchMethodException(type.getName() + "." + name + "(enum)");
  }

  private static void invoke(Object target, String name, Class<?> parameter, Object value)
      throws Exception {
    target.getClass().getMethod(name, parameter).invoke(target, value);
  }
}
