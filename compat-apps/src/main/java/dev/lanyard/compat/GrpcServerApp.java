package dev.lanyard.compat;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import javax.net.ssl.KeyManagerFactory;

/**
 * A gRPC-java server on plain (unshaded) grpc-netty serving {@link PeerService}. TLS the modern way,
 * {@code TlsServerCredentials} with key and trust managers and {@code ClientAuth.REQUIRE} when TLS
 * is mutual; with {@code --ssl-provider jdk|openssl} the classic way instead,
 * {@code NettyServerBuilder.sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(..),
 * provider))}. gRPC logs a failed handshake at debug level; that logger is watched and shown as one
 * {@code ERROR} line.
 */
public final class GrpcServerApp {
  private GrpcServerApp() {}

  public static void main(String[] args) throws Exception {
    ServerMain.run("GrpcServerApp", args, GrpcServerApp::start);
  }

  private static int start(ServerMain.Settings settings) throws Exception {
    OneLineLogging.watchTls("io.grpc.netty");
    TlsSettings tls = settings.tls();
    InetSocketAddress address = new InetSocketAddress(settings.bind(), settings.port());
    NettyServerBuilder builder;
    SslProvider provider = NettySsl.provider(tls);
    if (!tls.mode().isTls()) {
      builder = NettyServerBuilder.forAddress(address, InsecureServerCredentials.create());
    } else {
      KeyManagerFactory keys = tls.keyManagerFactory();
      if (keys == null) {
        throw new AppArgs.UsageException(settings.app() + ": --tls keystore needs --keystore");
      }
      if (provider == null) {
        ServerCredentials credentials = TlsServerCredentials.newBuilder()
            .keyManager(keys.getKeyManagers())
            .trustManager(tls.trustManagerFactory().getTrustManagers())
            .clientAuth(settings.needClientAuth()
                ? TlsServerCredentials.ClientAuth.REQUIRE : TlsServerCredentials.ClientAuth.NONE)
            .build();
        builder = NettyServerBuilder.forAddress(address, credentials);
      } else {
        SslContextBuilder ssl = GrpcSslContexts.configure(SslContextBuilder.forServer(keys), provider)
            .trustManager(tls.trustManagerFactory())
            .clientAuth(settings.needClientAuth() ? ClientAuth.REQUIRE : ClientAuth.NONE);
        builder = NettyServerBuilder.forAddress(address).sslContext(ssl.build());
      }
    }
    Server server = builder.addService(PeerService.definition()).build().start();
    return server.getPort();
  }
}
