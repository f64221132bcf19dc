package dev.lanyard.compat;

import java.util.Locale;

/** How an app sets up TLS: {@code --tls default|keystore|plain}. */
public enum TlsMode {
  /**
   * The library's idiomatic "default JVM TLS": no key or trust material named by the app. This is
   * what the javaagent must turn into SPIFFE mTLS. Without the javaagent the JVM's standard
   * {@code javax.net.ssl.keyStore}/{@code trustStore} system properties still apply wherever the
   * library uses the JVM defaults.
   */
  DEFAULT,
  /** The classic setup: PKCS#12 key store and trust store files given on the command line. */
  KEYSTORE,
  /** No TLS at all (the benchmark baseline). */
  PLAIN;

  public static TlsMode parse(String value) {
    try {
      return valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new AppArgs.UsageException(
          "--tls must be default, keystore or plain, not '" + value + "'");
    }
  }

  public boolean isTls() {
    return this != PLAIN;
  }
}
