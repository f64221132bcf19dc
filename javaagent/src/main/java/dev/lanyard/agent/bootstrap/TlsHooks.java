package dev.lanyard.agent.bootstrap;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;

/**
 * What the instrumented TLS code asks Lanyard. Implemented inside the isolated agent class loader;
 * typed only with JDK types because instrumented code (JDK classes, the application's libraries)
 * can see nothing else of ours.
 */
public interface TlsHooks {
  /** The key managers an {@code SSLContext} really gets, given what its caller asked for. */
  KeyManager[] keyManagers(KeyManager[] requested);

  /** The trust managers an {@code SSLContext} really gets, given what its caller asked for. */
  TrustManager[] trustManagers(TrustManager[] requested);

  /**
   * Called after an SSLContext (its SPI) was initialised with Lanyard's managers, so that its
   * session caches follow the session policy (no resumption across a rotation).
   */
  void onSslContextInitialized(Object contextSpi);

  /** Whether a server accepting TLS on {@code localPort} (-1 when unknown) must demand a client SVID. */
  boolean requireClientCertificate(int localPort);

  /** Whether this session's peer presented an SVID that a Lanyard trust manager authorized. */
  boolean isAuthorizedSpiffePeer(SSLSession session);

  /** Whether {@code certificate} is an SVID leaf that a Lanyard trust manager authorized. */
  boolean isAuthorizedSpiffeLeaf(Object certificate);

  /**
   * Whether {@code certificateHolder} (an X509Certificate, or a library object wrapping one) is
   * this workload's own SVID: servers that check the client's SNI against their own certificate
   * (Jetty) must not refuse a mesh client because an SVID names no host.
   */
  boolean isOwnSvid(Object certificateHolder);

  /** Called before Netty's {@code SslContextBuilder.build()}: installs our managers on it. */
  void beforeNettySslContextBuild(Object builder);
}
