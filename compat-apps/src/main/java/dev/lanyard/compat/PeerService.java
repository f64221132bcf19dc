package dev.lanyard.compat;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A one-method gRPC service, {@code lanyard.compat.Peer/Whoami}, defined by hand (a
 * {@link MethodDescriptor} with a UTF-8 string marshaller) so that no protoc plugin is needed. The
 * server answers {@code peer=<client URI SAN>}, read from {@link Grpc#TRANSPORT_ATTR_SSL_SESSION}
 * in a {@link ServerInterceptor}. Uses only gRPC API that is many years old, so that the isolation
 * app can call it with an older gRPC.
 */
public final class PeerService {
  public static final String SERVICE = "lanyard.compat.Peer";

  /** The UTF-8 string marshaller both sides use. */
  public static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  public static final MethodDescriptor<String, String> WHOAMI =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Whoami"))
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  private static final Context.Key<String> PEER = Context.key("lanyard.compat.peer");

  private PeerService() {}

  /** The service with its peer-reading interceptor. */
  public static ServerServiceDefinition definition() {
    ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
        .addMethod(WHOAMI, ServerCalls.asyncUnaryCall((request, responses) -> {
          responses.onNext(Peers.body(PEER.get()));
          responses.onCompleted();
        }))
        .build();
    return ServerInterceptors.intercept(service, new PeerInterceptor());
  }

  /** Puts the caller's URI SAN into the gRPC {@link Context} of each call. */
  private static final class PeerInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      String peer = Peers.of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
      return Contexts.interceptCall(Context.current().withValue(PEER, peer), call, headers, next);
    }
  }
}
