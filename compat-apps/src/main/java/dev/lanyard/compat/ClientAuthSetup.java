package dev.lanyard.compat;

import java.util.Locale;

/**
 * How a server app sets up client authentication: {@code --client-auth need|none|parameters}.
 * {@code none} and {@code parameters} are the servers an ordinary one-way TLS service runs, which
 * the javaagent must still turn into mTLS servers demanding the client's SVID.
 */
public enum ClientAuthSetup {
  /** The app asks its library for client certificates (the default). */
  NEED,
  /**
   * The app leaves client authentication at its library's default (none): for the JDK
   * {@code HttpsServer} a plain {@code new HttpsConfigurator(context)}, whose {@code configure}
   * applies the context's default {@code SSLParameters} to each engine.
   */
  NONE,
  /**
   * JDK {@code HttpsServer}: a {@code configure} override that sets the context's default
   * {@code SSLParameters} itself, the way most examples of {@code HttpsConfigurator} read; other
   * servers: as {@link #NONE}.
   */
  PARAMETERS;

  public static ClientAuthSetup parse(String app, String value) {
    try {
      return valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new AppArgs.UsageException(
          app + ": --client-auth must be need, none or parameters, not '" + value + "'");
    }
  }
}
