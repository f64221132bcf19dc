package dev.lanyard.compat;

import javax.net.ssl.SSLSession;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.ManagedHttpClientConnection;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.util.EntityUtils;

/**
 * Apache HttpClient 4 (4.5.x, still in many Spring Boot 2 and older services), classic API.
 * Default and plain mode leave TLS as {@code HttpClients.custom()} does (its default
 * {@code SSLConnectionSocketFactory}, built on {@code SSLContexts.createDefault()}); only the
 * connection pool is sized to {@code --concurrency}. Keystore mode registers an
 * {@code SSLConnectionSocketFactory(sslContext)}. The server's identity comes from the
 * {@code SSLSession} of the connection in the request's {@code HttpClientContext}.
 */
public final class ApacheHttpClient4App {
  private ApacheHttpClient4App() {}

  public static void main(String[] args) throws Exception {
    ClientMain.run("ApacheHttpClient4App", args, "url", ApacheHttpClient4App::clients);
  }

  private static ClientRunner.ClientFactory clients(ClientMain.Settings settings) throws Exception {
    String url = settings.target();
    var headers = settings.headers();
    int timeout = settings.loop().timeoutMillis();
    int poolSize = Math.max(5, settings.loop().concurrency());
    var keystoreContext =
        settings.tls().mode() == TlsMode.KEYSTORE ? settings.tls().sslContext() : null;
    return () -> {
      PoolingHttpClientConnectionManager connections = keystoreContext == null
          ? new PoolingHttpClientConnectionManager()
          : new PoolingHttpClientConnectionManager(RegistryBuilder.<ConnectionSocketFactory>create()
              .register("http", PlainConnectionSocketFactory.getSocketFactory())
              .register("https", new SSLConnectionSocketFactory(keystoreContext))
              .build());
      connections.setMaxTotal(poolSize);
      connections.setDefaultMaxPerRoute(poolSize);
      CloseableHttpClient client = HttpClients.custom()
          .setConnectionManager(connections)
          .setDefaultRequestConfig(RequestConfig.custom().setConnectTimeout(timeout)
              .setSocketTimeout(timeout).setConnectionRequestTimeout(timeout).build())
          .build();
      return new ClientRunner.Client() {
        @Override
        public ClientRunner.Response send() throws Exception {
          HttpClientContext context = HttpClientContext.create();
          HttpGet get = new HttpGet(url);
          headers.forEach(get::setHeader);
          return client.execute(get, response -> {
            // The connection is still leased while the handler runs: read its session now.
            ManagedHttpClientConnection connection =
                context.getConnection(ManagedHttpClientConnection.class);
            SSLSession session = connection == null ? null : connection.getSSLSession();
            String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
            return new ClientRunner.Response(response.getStatusLine().getStatusCode(),
                Peers.of(session), body);
          }, context);
        }

        @Override
        public void close() throws Exception {
          client.close();
        }
      };
    };
  }
}
