package dev.lanyard.compat;

import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import reactor.netty.Connection;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;
import reactor.netty.tcp.SslProvider;

/**
 * reactor-netty's {@code HttpClient} (HTTP/1.1): {@code HttpClient.create().secure()} in default
 * mode (reactor-netty's default client {@code SslContext}), {@code .secure(spec ->
 * spec.sslContext(Http11SslContextSpec.forClient().configure(..)))} with the key and trust manager
 * factories in keystore mode, {@code HttpClient.create()} in plain mode. The server's identity comes
 * from the connection's {@code SslHandler}. With {@code --new-connection-per-request} the client is
 * {@code HttpClient.newConnection()} (no pool). {@code --ssl-provider jdk|openssl} picks Netty's
 * TLS provider (OpenSSL by default here, since tcnative is on the class path).
 */
public final class ReactorNettyClientApp {
  private ReactorNettyClientApp() {}

  public static void main(String[] args) throws Exception {
    ClientMain.run("ReactorNettyClientApp", args, "url", ReactorNettyClientApp::clients);
  }

  private static ClientRunner.ClientFactory clients(ClientMain.Settings settings) throws Exception {
    TlsSettings tls = settings.tls();
    HttpClient client = settings.loop().newConnectionPerRequest()
        ? HttpClient.newConnection() : HttpClient.create();
    io.netty.handler.ssl.SslProvider provider = NettySsl.provider(tls);
    if (tls.mode() == TlsMode.KEYSTORE || (tls.mode() == TlsMode.DEFAULT && provider != null)) {
      KeyManagerFactory keys = tls.keyManagerFactory();
      TrustManagerFactory trust = tls.trustManagerFactory();
      boolean keystore = tls.mode() == TlsMode.KEYSTORE;
      SslProvider.GenericSslContextSpec<SslContextBuilder> spec =
          Http11SslContextSpec.forClient().configure(builder -> {
            if (keystore) {
              builder.keyManager(keys).trustManager(trust);
            }
            if (provider != null) {
              builder.sslProvider(provider);
            }
          });
      client = client.secure(ssl -> ssl.sslContext(spec));
    } else if (tls.mode() == TlsMode.DEFAULT) {
      client = client.secure();
    }
    Duration timeout = Duration.ofMillis(settings.loop().timeoutMillis());
    HttpClient configured = client.responseTimeout(timeout);
    String url = settings.target();
    ClientRunner.Client shared = () -> {
      ClientRunner.Response result = configured.get().uri(url)
          .responseConnection((response, connection) -> connection.inbound().receive().aggregate()
              .asString(StandardCharsets.UTF_8)
              .defaultIfEmpty("")
              .map(body -> new ClientRunner.Response(
                  response.status().code(), serverPeer(connection), body)))
          .next()
          .block(timeout);
      if (result == null) {
        throw new IllegalStateException("the connection closed without a response");
      }
      return result;
    };
    return () -> shared;
  }

  private static String serverPeer(Connection connection) {
    SslHandler tls = connection.channel().pipeline().get(SslHandler.class);
    return tls == null ? Peers.NONE : Peers.of(tls.engine().getSession());
  }
}
