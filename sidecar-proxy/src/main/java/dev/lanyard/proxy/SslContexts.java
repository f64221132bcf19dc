package dev.lanyard.proxy;

import dev.lanyard.tls.Identity;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.LanyardTls;
import dev.lanyard.tls.LanyardTrustManager;
import dev.lanyard.tls.SvidSource;
import dev.lanyard.tls.TrustBundles;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.KeyManagerFactoryWrapper;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;

/**
 * The server (mesh ports) and client (mesh destinations) Netty contexts, built from spiffe-tls's
 * key and trust managers, which pick the current SVID and bundles per handshake themselves.
 *
 * <p>Why rebuild on every SVID or bundle update anyway: the OpenSSL context copies the trust
 * manager's accepted issuers into the CertificateRequest's CA list when it is built, and its
 * session cache would resume sessions made under the old SVID. A new pair of contexts is swapped
 * in whole (one volatile snapshot); open connections keep the engine, and so the context, they
 * were made with, so rotation never drops them. New connections use the new contexts.
 */
final class SslContexts implements SvidSource.UpdateListener {
  private final LanyardTls tls;
  private final SslProvider provider;
  private volatile Pair current;

  private SslContexts(LanyardTls tls, SslProvider provider) {
    this.tls = tls;
    this.provider = provider;
    this.current = build();
  }

  /** Builds the first pair and rebuilds on every update of {@code tls}'s SVID source. */
  static SslContexts start(LanyardTls tls) {
    SslContexts contexts = new SslContexts(tls, chooseProvider());
    tls.svidSource().addListener(contexts);
    return contexts;
  }

  /** BoringSSL when netty-tcnative loads; otherwise the JDK's engine, said once. */
  static SslProvider chooseProvider() {
    if (OpenSsl.isAvailable()) {
      return SslProvider.OPENSSL;
    }
    LanyardLog.warn("netty-tcnative (BoringSSL) is not available here ("
        + OpenSsl.unavailabilityCause() + "); using the JDK's TLS engine, which is slower");
    return SslProvider.JDK;
  }

  SslProvider provider() {
    return provider;
  }

  SslContext server() {
    return current.server;
  }

  SslContext client() {
    return current.client;
  }

  @Override
  public void onUpdate(Identity previous, Identity now, TrustBundles bundles) {
    try {
      current = build();
      LanyardLog.debug("TLS contexts rebuilt for " + now.spiffeId() + " serial " + now.serialHex());
    } catch (RuntimeException e) {
      // Keep serving with the previous contexts: their managers still read the current SVID.
      LanyardLog.warn("cannot rebuild TLS contexts after an SVID update, keeping the previous"
          + " ones: " + e.getMessage());
    }
  }

  private Pair build() {
    try {
      KeyManagerFactory keys = keyManagerFactory();
      LanyardTrustManager meshHops = tls.trustManager().requiringSvid();
      SslContext server = SslContextBuilder.forServer(keys)
          .trustManager(tls.trustManager())
          .clientAuth(ClientAuth.REQUIRE)
          .protocols(LanyardTls.PROTOCOLS)
          .sslProvider(provider)
          .build();
      // Every upstream of the sidecar is a mesh hop: the trust decision itself refuses a server
      // without an accepted X.509-SVID, so what it records is what happens to the connection.
      SslContext client = SslContextBuilder.forClient()
          .keyManager(keys)
          .trustManager(meshHops)
          .protocols(LanyardTls.PROTOCOLS)
          .sslProvider(provider)
          .build();
      tls.sessionPolicy().track(server.sessionContext());
      tls.sessionPolicy().track(client.sessionContext());
      return new Pair(server, client);
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the " + provider + " TLS contexts: "
          + e.getMessage(), e);
    }
  }

  /**
   * spiffe-tls's key manager, behind OpenSSL's key material cache. Without the cache, tcnative
   * encodes and parses the chain and the private key again on every handshake (most of a new
   * connection's cost). The cache is keyed by alias, and the alias is the SVID's serial, so a
   * rotated SVID is never served from the cache; each context pair has its own cache, dropped
   * with the contexts at the next rotation.
   */
  private KeyManagerFactory keyManagerFactory() {
    KeyManagerFactory keys = new KeyManagerFactoryWrapper(tls.keyManager());
    return provider == SslProvider.OPENSSL ? new OpenSslCachingX509KeyManagerFactory(keys) : keys;
  }

  private static final class Pair {
    final SslContext server;
    final SslContext client;

    Pair(SslContext server, SslContext client) {
      this.server = Objects.requireNonNull(server);
      this.client = Objects.requireNonNull(client);
    }
  }
}
