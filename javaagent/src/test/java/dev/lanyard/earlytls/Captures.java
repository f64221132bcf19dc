package dev.lanyard.earlytls;

import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * The four ways a library keeps the JVM's TLS defaults for later (issue 9 point 13), and one HTTPS
 * GET through a kept object. Used by {@link EarlyTlsAgent} (in its premain, before Lanyard's) and
 * {@link EarlyCaptureApp} (in its main class's static initializer). JDK only.
 */
public final class Captures {
  private Captures() {}

  static void capture(Map<String, Object> into, String site) throws Exception {
    into.put(site + ":SSLContext.getDefault()", SSLContext.getDefault());
    into.put(site + ":SSLSocketFactory.getDefault()", SSLSocketFactory.getDefault());
    into.put(site + ":HttpsURLConnection.getDefaultSSLSocketFactory()",
        HttpsURLConnection.getDefaultSSLSocketFactory());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, null, null);
    into.put(site + ":SSLContext.getInstance(TLS).init(null,null,null)", tls);
  }

  /** One line: {@code OK|FAIL capture=<name> target=<target> ...}. */
  static String get(String name, Object captured, String url, String target) {
    try {
      SSLSocketFactory factory = captured instanceof SSLContext
          ? ((SSLContext) captured).getSocketFactory() : (SSLSocketFactory) captured;
      HttpsURLConnection connection = (HttpsURLConnection) new URL(url).openConnection();
      connection.setSSLSocketFactory(factory);
      connection.setConnectTimeout(5000);
      connection.setReadTimeout(5000);
      try (InputStream in = connection.getInputStream()) {
        String body = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        return "OK capture=" + name + " target=" + target + " status="
            + connection.getResponseCode() + " body=" + body;
      }
    } catch (Exception e) {
      StringBuilder why = new StringBuilder();
      for (Throwable t = e; t != null; t = t.getCause()) {
        why.append(why.length() == 0 ? "" : " <- ").append(t);
      }
      return "FAIL capture=" + name + " target=" + target + " error=" + why.toString()
          .replace('\n', ' ');
    }
  }
}
