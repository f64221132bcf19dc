package dev.lanyard.compat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * The JDK's {@code java.net.http.HttpClient}: {@code HttpClient.newHttpClient()} in default and
 * plain mode, {@code HttpClient.newBuilder().sslContext(..)} in keystore mode. The server's identity
 * comes from {@code HttpResponse.sslSession()}. With {@code --new-connection-per-request} every
 * request gets a new client (closed afterwards where the JDK allows it, 21 and later).
 */
public final class JdkHttpClientApp {
  private JdkHttpClientApp() {}

  public static void main(String[] args) throws Exception {
    ClientMain.run("JdkHttpClientApp", args, "url", JdkHttpClientApp::clients);
  }

  static ClientRunner.ClientFactory clients(ClientMain.Settings settings) throws Exception {
    URI uri = URI.create(settings.target());
    Duration timeout = Duration.ofMillis(settings.loop().timeoutMillis());
    SSLContext keystoreContext =
        settings.tls().mode() == TlsMode.KEYSTORE ? settings.tls().sslContext() : null;
    HttpRequest.Builder requestBuilder = HttpRequest.newBuilder(uri).timeout(timeout).GET();
    settings.headers().forEach(requestBuilder::header);
    HttpRequest request = requestBuilder.build();
    return () -> {
      HttpClient client = keystoreContext == null
          ? HttpClient.newHttpClient()
          : HttpClient.newBuilder().sslContext(keystoreContext).connectTimeout(timeout).build();
      return new ClientRunner.Client() {
        @Override
        public ClientRunner.Response send() throws Exception {
          HttpResponse<String> response =
              client.send(request, HttpResponse.BodyHandlers.ofString());
          String peer = response.sslSession().map(Peers::of).orElse(Peers.NONE);
          return new ClientRunner.Response(response.statusCode(), peer, response.body());
        }

        @Override
        public void close() throws Exception {
          // HttpClient is AutoCloseable from JDK 21 on; on 17 its threads end when it is collected.
          if (client instanceof AutoCloseable closeable) {
            closeable.close();
          }
        }
      };
    };
  }
}
