package dev.lanyard.agent.bootstrap;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

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

  /**
   * The managers (key manager first, then trust manager, both Lanyard's) that an SSLContext
   * initialised before the hooks gets instead of {@code keyManager} and {@code trustManager},
   * which become their fallbacks as {@link #keyManagers}/{@link #trustManagers} would make them.
   */
  Object[] adoptManagers(X509ExtendedKeyManager keyManager, X509TrustManager trustManager);

  /**
   * Called once such a context (its SPI) holds Lanyard's managers: drops the sessions it cached
   * without them, puts its caches under the session policy, and logs it once.
   */
  void onEarlyContextAdopted(Object contextSpi);

  /** Whether a server accepting TLS on {@code localPort} (-1 when unknown) must demand a client SVID. */
  boolean requireClientCertificate(int localPort);

  /**
   * Whether this session's peer presented an SVID that a Lanyard trust manager accepted as the
   * identity of the mesh destination {@code host} (secure naming), not merely of some host.
   */
  boolean isAuthorizedSpiffePeer(String host, SSLSession session);

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

  /**
   * JDK {@code HttpClient}: the request ({@code java.net.http.HttpRequest}) to send instead of
   * {@code request}, with {@code Authorization: Bearer <JWT-SVID>} when its host is due one.
   */
  Object jdkHttpRequest(Object request) throws Exception;

  /**
   * {@code HttpsURLConnection}: adds the JWT-SVID to {@code requestHeaders} (the JDK's internal
   * {@code MessageHeader} about to be written for {@code url}) when the host is due one.
   */
  void urlConnectionHeaders(java.net.URL url, Object requestHeaders) throws Exception;

  /** OkHttp: the request ({@code okhttp3.Request}) to write instead of {@code request}. */
  Object okHttpRequest(Object request) throws Exception;

  /**
   * Apache HttpClient 5 (classic): adds the JWT-SVID header to {@code request} about to be sent on
   * {@code connection}; returns the header added (removed again after the exchange) or null.
   */
  Object apacheRequest(Object request, Object connection) throws Exception;

  /** Apache HttpClient 5: the exchange is over; remove {@code header} added by {@link #apacheRequest}. */
  void apacheRequestDone(Object request, Object header) throws Exception;

  /**
   * JSSE received a fatal alert ({@code diagnostic}, e.g. "Received fatal alert:
   * certificate_unknown") on {@code transport} (an SSLSocket or SSLEngine): the message for the
   * exception, naming the peer, the alert and the likely cause when a server refused our
   * X.509-SVID; null to keep JSSE's own.
   */
  String refusedByPeer(Object transport, String diagnostic) throws Exception;
}
