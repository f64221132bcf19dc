package dev.lanyard.compat;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;

/**
 * A gRPC-java client on plain (unshaded) grpc-netty calling {@link PeerService}:
 * {@code NettyChannelBuilder.forTarget(target, credentials)} with
 * {@code TlsChannelCredentials.create()} in default mode, {@code TlsChannelCredentials.newBuilder()
 * .keyManager(..).trustManager(..)} in keystore mode and {@code InsecureChannelCredentials} in plain
 * mode; with {@code --ssl-provider jdk|openssl} the classic {@code NettyChannelBuilder.sslContext(
 * GrpcSslContexts.configure(SslContextBuilder.forClient(), provider)..)} instead. The server's
 * identity comes from the call's attributes ({@code Grpc.TRANSPORT_ATTR_SSL_SESSION}); the status
 * printed is the gRPC status code ({@code OK}).
 */
public final class GrpcClientApp {
  private GrpcClientApp() {}

  public static void main(String[] args) throws Exception {
    ClientMain.run("GrpcClientApp", args, "target", GrpcClientApp::clients);
  }

  private static ClientRunner.ClientFactory clients(ClientMain.Settings settings) throws Exception {
    TlsSettings tls = settings.tls();
    SslProvider provider = NettySsl.provider(tls);
    ChannelCredentials credentials = null;
    io.netty.handler.ssl.SslContext sslContext = null;
    if (!tls.mode().isTls()) {
      credentials = InsecureChannelCredentials.create();
    } else if (provider != null) {
      SslContextBuilder builder = GrpcSslContexts.configure(SslContextBuilder.forClient(), provider)
          .trustManager(tls.trustManagerFactory());
      if (tls.mode() == TlsMode.KEYSTORE && tls.keyManagerFactory() != null) {
        builder.keyManager(tls.keyManagerFactory());
      }
      sslContext = builder.build();
    } else if (tls.mode() == TlsMode.DEFAULT) {
      credentials = TlsChannelCredentials.create();
    } else {
      TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder()
          .trustManager(tls.trustManagerFactory().getTrustManagers());
      KeyManagerFactory keys = tls.keyManagerFactory();
      if (keys != null) {
        builder.keyManager(keys.getKeyManagers());
      }
      credentials = builder.build();
    }
    String target = settings.target();
    long timeoutMillis = settings.loop().timeoutMillis();
    ChannelCredentials channelCredentials = credentials;
    io.netty.handler.ssl.SslContext channelSsl = sslContext;
    return () -> {
      ManagedChannel channel = channelSsl == null
          ? NettyChannelBuilder.forTarget(target, channelCredentials).build()
          : NettyChannelBuilder.forTarget(target).sslContext(channelSsl).build();
      return new ClientRunner.Client() {
        @Override
        public ClientRunner.Response send() throws Exception {
          return whoami(channel, timeoutMillis);
        }

        @Override
        public void close() throws InterruptedException {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      };
    };
  }

  /** One unary call, reading the TLS session from the call's attributes when it completes. */
  static ClientRunner.Response whoami(ManagedChannel channel, long timeoutMillis)
      throws Exception {
    ClientCall<String, String> call = channel.newCall(PeerService.WHOAMI,
        CallOptions.DEFAULT.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS));
    CompletableFuture<String> reply = new CompletableFuture<>();
    StringBuilder body = new StringBuilder();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(String message) {
        body.append(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (status.isOk()) {
          reply.complete(body.toString());
        } else {
          reply.completeExceptionally(status.asRuntimeException(trailers));
        }
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage("whoami");
    call.halfClose();
    String message;
    try {
      message = reply.get(timeoutMillis + 1_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    String peer = Peers.of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    return new ClientRunner.Response(Status.Code.OK.name(), peer, message);
  }
}
