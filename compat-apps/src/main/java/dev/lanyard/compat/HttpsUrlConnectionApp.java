package dev.lanyard.compat;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * {@code HttpsURLConnection}: {@code new URL(..).openConnection()} with the JVM defaults in default
 * and plain mode, {@code setSSLSocketFactory(..)} on the connection in keystore mode. The server's
 * identity comes from {@code HttpsURLConnection.getServerCertificates()}. Connections are kept
 * alive by the JDK's keep-alive cache; with {@code --new-connection-per-request}
 * {@code disconnect()} closes each one.
 */
public final class HttpsUrlConnectionApp {
  private HttpsUrlConnectionApp() {}

  public static void main(String[] args) throws Exception {
    ClientMain.run("HttpsUrlConnectionApp", args, "url", HttpsUrlConnectionApp::clients);
  }

  private static ClientRunner.ClientFactory clients(ClientMain.Settings settings) throws Exception {
    URL url = java.net.URI.create(settings.target()).toURL();
    int timeout = settings.loop().timeoutMillis();
    SSLSocketFactory sockets = settings.tls().mode() == TlsMode.KEYSTORE
        ? settings.tls().sslContext().getSocketFactory() : null;
    boolean disconnect = settings.loop().newConnectionPerRequest();
    return () -> () -> {
      HttpURLConnection connection = (HttpURLConnection) url.openConnection();
      try {
        connection.setConnectTimeout(timeout);
        connection.setReadTimeout(timeout);
        settings.headers().forEach(connection::setRequestProperty);
        if (sockets != null && connection instanceof HttpsURLConnection https) {
          https.setSSLSocketFactory(sockets);
        }
        int status = connection.getResponseCode();
        String peer = connection instanceof HttpsURLConnection https
            ? Peers.of(https.getServerCertificates()) : Peers.NONE;
        return new ClientRunner.Response(status, peer, readBody(connection, status));
      } finally {
        if (disconnect) {
          connection.disconnect();
        }
      }
    };
  }

  private static String readBody(HttpURLConnection connection, int status) throws IOException {
    try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
      return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
