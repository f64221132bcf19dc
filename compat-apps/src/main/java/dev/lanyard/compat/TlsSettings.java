package dev.lanyard.compat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS options every app shares: {@code --tls}, {@code --keystore}, {@code --truststore},
 * {@code --password} and, for Netty-based apps, {@code --ssl-provider}. Key material is read with
 * nothing but the JDK's own {@code KeyManagerFactory}/{@code TrustManagerFactory}, as an ordinary
 * application would.
 */
public record TlsSettings(
    TlsMode mode, Path keyStore, Path trustStore, char[] password, String sslProvider) {

  /** The option names this class reads, for {@link AppArgs#parse}. */
  public static final List<String> OPTIONS =
      List.of("tls", "keystore", "truststore", "password", "ssl-provider");

  /** Reads the shared TLS options; {@code --tls} defaults to {@code default}. */
  public static TlsSettings from(AppArgs args) {
    TlsMode mode = TlsMode.parse(args.get("tls", "default"));
    String provider = args.get("ssl-provider", null);
    if (provider != null) {
      provider = provider.toLowerCase(Locale.ROOT);
      if (!provider.equals("jdk") && !provider.equals("openssl")) {
        throw new AppArgs.UsageException(
            args.app() + ": --ssl-provider must be jdk or openssl, not '" + provider + "'");
      }
    }
    TlsSettings settings = new TlsSettings(mode, args.path("keystore"), args.path("truststore"),
        args.get("password", "changeit").toCharArray(), provider);
    for (Path file : new Path[] {settings.keyStore, settings.trustStore}) {
      if (file != null && !Files.isReadable(file)) {
        throw new AppArgs.UsageException(args.app() + ": cannot read " + file);
      }
    }
    return settings;
  }

  /**
   * Key managers: in keystore mode from {@code --keystore} (null without one); in default mode the
   * JVM default algorithm, initialised from the standard {@code javax.net.ssl.keyStore} system
   * properties when they are set and with no key store otherwise, which is exactly the call the
   * javaagent must fill with the workload's SVID.
   */
  public KeyManagerFactory keyManagerFactory() throws GeneralSecurityException, IOException {
    return switch (mode) {
      case KEYSTORE -> keyStore == null ? null : keyManagerFactory(load(keyStore, password), password);
      case DEFAULT -> jvmDefaultKeyManagerFactory();
      case PLAIN -> null;
    };
  }

  /**
   * Trust managers: in keystore mode from {@code --truststore}, falling back to the JVM default; in
   * default mode the JVM default algorithm with no key store, which reads the JVM's default trust
   * store ({@code javax.net.ssl.trustStore} or cacerts).
   */
  public TrustManagerFactory trustManagerFactory() throws GeneralSecurityException, IOException {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    if (mode == TlsMode.KEYSTORE && trustStore != null) {
      factory.init(load(trustStore, password));
    } else {
      factory.init((KeyStore) null);
    }
    return factory;
  }

  /** The first X509 trust manager of {@link #trustManagerFactory()} (OkHttp needs it apart). */
  public X509TrustManager x509TrustManager() throws GeneralSecurityException, IOException {
    for (var manager : trustManagerFactory().getTrustManagers()) {
      if (manager instanceof X509TrustManager x509) {
        return x509;
      }
    }
    throw new GeneralSecurityException("no X509TrustManager in the default TrustManagerFactory");
  }

  /**
   * An {@link SSLContext} from the key store files (keystore mode), or the JVM's default context
   * ({@link SSLContext#getDefault()}) in default mode.
   */
  public SSLContext sslContext() throws GeneralSecurityException, IOException {
    if (mode == TlsMode.DEFAULT) {
      return SSLContext.getDefault();
    }
    KeyManagerFactory keys = keyManagerFactory();
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys == null ? null : keys.getKeyManagers(),
        trustManagerFactory().getTrustManagers(), null);
    return context;
  }

  /**
   * Whether a server demands client certificates: always in default mode (an ordinary mTLS
   * service), in keystore mode when a trust store for clients is given.
   */
  public boolean requireClientAuth() {
    return mode == TlsMode.DEFAULT || (mode == TlsMode.KEYSTORE && trustStore != null);
  }

  /** A short description for the start-up line. */
  public String describe() {
    return "tls=" + mode.name().toLowerCase(Locale.ROOT)
        + (sslProvider == null ? "" : " ssl_provider=" + sslProvider);
  }

  static KeyManagerFactory jvmDefaultKeyManagerFactory()
      throws GeneralSecurityException, IOException {
    KeyManagerFactory factory =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    String file = System.getProperty("javax.net.ssl.keyStore");
    if (file == null || file.isEmpty() || file.equals("NONE")) {
      factory.init(null, null);
      return factory;
    }
    String secret = System.getProperty("javax.net.ssl.keyStorePassword", "");
    KeyStore store = KeyStore.getInstance(
        System.getProperty("javax.net.ssl.keyStoreType", KeyStore.getDefaultType()));
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      store.load(in, secret.toCharArray());
    }
    factory.init(store, secret.toCharArray());
    return factory;
  }

  private static KeyManagerFactory keyManagerFactory(KeyStore store, char[] password)
      throws GeneralSecurityException {
    KeyManagerFactory factory =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, password);
    return factory;
  }

  private static KeyStore load(Path file, char[] password)
      throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, password);
    }
    return store;
  }
}
