package dev.lanyard.compat;

import okhttp3.ConnectionPool;
import okhttp3.Handshake;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * OkHttp: {@code new OkHttpClient()} in default and plain mode (OkHttp then builds its own
 * {@code SSLContext} with the platform's default trust manager and no client key),
 * {@code OkHttpClient.Builder.sslSocketFactory(factory, trustManager)} in keystore mode. The
 * server's identity comes from {@code Response.handshake().peerCertificates()}. With
 * {@code --new-connection-per-request} each request uses {@code client.newBuilder()} with its own
 * connection pool, evicted afterwards (OkHttp's way to share everything but the connections).
 */
public final class OkHttpClientApp {
  private OkHttpClientApp() {}

  public static void main(String[] args) throws Exception {
    ClientMain.run("OkHttpClientApp", args, "url", OkHttpClientApp::clients);
  }

  private static ClientRunner.ClientFactory clients(ClientMain.Settings settings) throws Exception {
    OkHttpClient base;
    if (settings.tls().mode() == TlsMode.KEYSTORE) {
      base = new OkHttpClient.Builder()
          .sslSocketFactory(settings.tls().sslContext().getSocketFactory(),
              settings.tls().x509TrustManager())
          .build();
    } else {
      base = new OkHttpClient();
    }
    Request.Builder requestBuilder = new Request.Builder().url(settings.target());
    settings.headers().forEach(requestBuilder::header);
    Request request = requestBuilder.build();
    java.time.Duration timeout = java.time.Duration.ofMillis(settings.loop().timeoutMillis());
    boolean fresh = settings.loop().newConnectionPerRequest();
    return () -> {
      ConnectionPool pool = fresh ? new ConnectionPool() : null;
      OkHttpClient client = fresh ? base.newBuilder().connectionPool(pool).build() : base;
      return new ClientRunner.Client() {
        @Override
        public ClientRunner.Response send() throws Exception {
          var call = client.newCall(request);
          call.timeout().timeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
          try (Response response = call.execute()) {
            Handshake handshake = response.handshake();
            String peer = handshake == null ? Peers.NONE : Peers.of(handshake.peerCertificates());
            return new ClientRunner.Response(response.code(), peer, response.body().string());
          }
        }

        @Override
        public void close() {
          if (pool != null) {
            pool.evictAll();
          }
        }
      };
    };
  }
}
