package dev.lanyard.compat;

import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.util.logging.Level;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;

/**
 * Embedded Tomcat (NIO connector) with a servlet. Keystore mode is the classic connector setup
 * ({@code certificateKeystoreFile}, {@code truststoreFile}, {@code certificateVerification=required}
 * when a trust store is given); default mode hands Tomcat the JVM's default {@code SSLContext}
 * (Tomcat has no key-less default of its own: without a key store it looks for
 * {@code ~/.keystore}) and requires client certificates. The peer comes from the servlet attribute
 * {@code jakarta.servlet.request.X509Certificate}; Tomcat's debug-level handshake failures are
 * watched and shown as one {@code ERROR} line.
 */
public final class TomcatServerApp {
  private TomcatServerApp() {}

  public static void main(String[] args) throws Exception {
    ServerMain.run("TomcatServerApp", args, TomcatServerApp::start);
  }

  private static int start(ServerMain.Settings settings) throws Exception {
    OneLineLogging.level("org.apache.catalina", Level.WARNING);
    OneLineLogging.watchTls("org.apache.tomcat.util.net");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("compat-tomcat-").toString());

    Connector connector = new Connector();
    connector.setPort(settings.port());
    connector.setProperty("address", settings.bind());
    TlsSettings tls = settings.tls();
    if (tls.mode().isTls()) {
      connector.setSecure(true);
      connector.setScheme("https");
      connector.setProperty("SSLEnabled", "true");
      SSLHostConfig host = new SSLHostConfig();
      host.setCertificateVerification(settings.needClientAuth() ? "required" : "none");
      SSLHostConfigCertificate certificate =
          new SSLHostConfigCertificate(host, SSLHostConfigCertificate.Type.UNDEFINED);
      if (tls.mode() == TlsMode.KEYSTORE) {
        if (tls.keyStore() == null) {
          throw new AppArgs.UsageException(settings.app() + ": --tls keystore needs --keystore");
        }
        certificate.setCertificateKeystoreFile(tls.keyStore().toAbsolutePath().toString());
        certificate.setCertificateKeystorePassword(new String(tls.password()));
        certificate.setCertificateKeystoreType("PKCS12");
        if (tls.trustStore() != null) {
          host.setTruststoreFile(tls.trustStore().toAbsolutePath().toString());
          host.setTruststorePassword(new String(tls.password()));
          host.setTruststoreType("PKCS12");
        }
      } else {
        certificate.setSslContext(new JvmDefaultContext(tls.sslContext()));
      }
      host.addCertificate(certificate);
      connector.addSslHostConfig(host);
    }
    tomcat.setConnector(connector);

    Context context = tomcat.addContext("", null);
    Tomcat.addServlet(context, "peer", new PeerServlet()).addMapping("/*");
    tomcat.start();
    return connector.getLocalPort();
  }

  /**
   * Tomcat's view of an already initialised JDK {@link javax.net.ssl.SSLContext} (Tomcat's
   * {@code SSLHostConfigCertificate.setSslContext} takes its own interface).
   */
  private static final class JvmDefaultContext implements org.apache.tomcat.util.net.SSLContext {
    private final javax.net.ssl.SSLContext context;

    JvmDefaultContext(javax.net.ssl.SSLContext context) {
      this.context = context;
    }

    @Override
    public void init(javax.net.ssl.KeyManager[] keyManagers,
        javax.net.ssl.TrustManager[] trustManagers, java.security.SecureRandom random) {
      // Already initialised by the JVM.
    }

    @Override
    public void destroy() {}

    @Override
    public SSLSessionContext getServerSessionContext() {
      return context.getServerSessionContext();
    }

    @Override
    public SSLEngine createSSLEngine() {
      return context.createSSLEngine();
    }

    @Override
    public SSLServerSocketFactory getServerSocketFactory() {
      return context.getServerSocketFactory();
    }

    @Override
    public SSLParameters getSupportedSSLParameters() {
      return context.getSupportedSSLParameters();
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return null;
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
