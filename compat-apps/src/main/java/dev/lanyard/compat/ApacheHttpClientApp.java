package dev.lanyard.compat;

import javax.net.ssl.SSLSession;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;

/**
 * Apache HttpClient 5, classic (blocking) API. Default and plain mode leave TLS exactly as
 * {@code HttpClients.createDefault()} does (its default TLS strategy, which builds its own
 * {@code SSLContext} with default managers); only the connection pool is sized to
 * {@code --concurrency}. Keystore mode sets {@code ClientTlsStrategyBuilder.setSslContext(..)}. The
 * server's identity comes from the {@code SSLSession} in the request's {@code HttpClientContext}.
 */
public final class ApacheHttpClientApp {
  private ApacheHttpClientApp() {}

  public static void main(String[] args) throws Exception {
    ClientMain.run("ApacheHttpClientApp", args, "url", ApacheHttpClientApp::clients);
  }

  private static ClientRunner.ClientFactory clients(ClientMain.Settings settings) throws Exception {
    String url = settings.target();
    var headers = settings.headers();
    Timeout timeout = Timeout.ofMilliseconds(settings.loop().timeoutMillis());
    int poolSize = Math.max(5, settings.loop().concurrency());
    var keystoreContext =
        settings.tls().mode() == TlsMode.KEYSTORE ? settings.tls().sslContext() : null;
    return () -> {
      var connections = PoolingHttpClientConnectionManagerBuilder.create()
          .setMaxConnPerRoute(poolSize)
          .setMaxConnTotal(poolSize)
          .setDefaultConnectionConfig(ConnectionConfig.custom()
              .setConnectTimeout(timeout).setSocketTimeout(timeout).build());
      if (keystoreContext != null) {
        connections.setTlsSocketStrategy(
            ClientTlsStrategyBuilder.create().setSslContext(keystoreContext).buildClassic());
      }
      CloseableHttpClient client = HttpClients.custom()
          .setConnectionManager(connections.build())
          .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(timeout).build())
          .build();
      return new ClientRunner.Client() {
        @Override
        public ClientRunner.Response send() throws Exception {
          HttpClientContext context = HttpClientContext.create();
          HttpGet get = new HttpGet(url);
          headers.forEach(get::setHeader);
          return client.execute(get, context, response -> {
            SSLSession session = context.getSSLSession();
            String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
            return new ClientRunner.Response(response.getCode(), Peers.of(session), body);
          });
        }

        @Override
        public void close() throws Exception {
          client.close();
        }
      };
    };
  }
}
