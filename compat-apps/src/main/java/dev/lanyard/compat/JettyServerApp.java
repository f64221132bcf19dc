package dev.lanyard.compat;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty 12 with an ee10 (Jakarta Servlet 6.0) servlet. TLS comes from Jetty's
 * {@code SslContextFactory.Server}: key store and trust store paths in keystore mode, the JVM's
 * default {@code SSLContext} in default mode; client certificates are needed when TLS is mutual.
 * The peer comes from the servlet attribute {@code jakarta.servlet.request.X509Certificate} (filled
 * by Jetty's {@code SecureRequestCustomizer}, left at its defaults, SNI host check included).
 * Failed handshakes are reported through Jetty's {@code SslHandshakeListener}.
 */
public final class JettyServerApp {
  private JettyServerApp() {}

  public static void main(String[] args) throws Exception {
    ServerMain.run("JettyServerApp", args, JettyServerApp::start);
  }

  private static int start(ServerMain.Settings settings) throws Exception {
    OneLineLogging.level("org.eclipse.jetty", java.util.logging.Level.WARNING);
    Server server = new Server();
    HttpConfiguration http = new HttpConfiguration();
    ServerConnector connector;
    TlsSettings tls = settings.tls();
    if (tls.mode().isTls()) {
      http.addCustomizer(new SecureRequestCustomizer());
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      if (tls.mode() == TlsMode.KEYSTORE) {
        if (tls.keyStore() == null) {
          throw new AppArgs.UsageException(settings.app() + ": --tls keystore needs --keystore");
        }
        ssl.setKeyStorePath(tls.keyStore().toAbsolutePath().toString());
        ssl.setKeyStorePassword(new String(tls.password()));
        ssl.setKeyStoreType("PKCS12");
        if (tls.trustStore() != null) {
          ssl.setTrustStorePath(tls.trustStore().toAbsolutePath().toString());
          ssl.setTrustStorePassword(new String(tls.password()));
          ssl.setTrustStoreType("PKCS12");
        }
      } else {
        ssl.setSslContext(tls.sslContext());
      }
      ssl.setNeedClientAuth(settings.needClientAuth());
      connector = new ServerConnector(server, ssl, new HttpConnectionFactory(http));
      connector.addBean(new SslHandshakeListener() {
        @Override
        public void handshakeFailed(Event event, Throwable failure) {
          ServerMain.error(settings.app(), "TLS handshake failed with "
              + event.getSSLEngine().getPeerHost() + ":" + event.getSSLEngine().getPeerPort(),
              failure);
        }
      });
    } else {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    }
    connector.setHost(settings.bind());
    connector.setPort(settings.port());
    server.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(new PeerServlet()), "/*");
    server.setHandler(context);
    server.start();
    return connector.getLocalPort();
  }
}
