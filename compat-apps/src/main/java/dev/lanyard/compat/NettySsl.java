package dev.lanyard.compat;

import io.netty.handler.ssl.SslProvider;

/** Maps {@code --ssl-provider jdk|openssl} to Netty's {@link SslProvider}; null keeps Netty's choice. */
final class NettySsl {
  private NettySsl() {}

  static SslProvider provider(TlsSettings tls) {
    if (tls.sslProvider() == null) {
      return null;
    }
    return tls.sslProvider().equals("openssl") ? SslProvider.OPENSSL : SslProvider.JDK;
  }
}
