package dev.lanyard.testkit;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.spiffe.workloadapi.grpc.SpiffeWorkloadAPIGrpc;
import io.spiffe.workloadapi.grpc.Workload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A test double of the SPIFFE Workload API's X.509-SVID stream on a unix domain socket, for what
 * real SPIRE never does: it sends whatever {@link Workload.X509SVIDResponse} the test gives it
 * (an empty SVID list, garbage DER, a key of another certificate, ...). Everything else about it
 * is as SPIRE's: requests without the {@code workload.spiffe.io: true} header are refused with
 * {@code INVALID_ARGUMENT}; a new stream first gets the latest response, then every later one.
 * Only {@code FetchX509SVID} is served (the rest answer {@code UNIMPLEMENTED}).
 *
 * <p>Real SPIRE stays the rule for everything SPIRE can do (testkit's {@link SpireExtension}).
 */
public final class WorkloadApiDouble implements AutoCloseable {
  private static final Metadata.Key<String> SECURITY_HEADER =
      Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER);

  private final Path socket;
  private final Server server;
  private final EpollEventLoopGroup eventLoop;
  private final Set<ServerCallStreamObserver<Workload.X509SVIDResponse>> streams =
      new CopyOnWriteArraySet<>();
  private final AtomicInteger streamsOpened = new AtomicInteger();
  private final AtomicInteger refusedWithoutHeader = new AtomicInteger();
  private final AtomicInteger sent = new AtomicInteger();
  private volatile Workload.X509SVIDResponse latest;

  private WorkloadApiDouble(Path socket, UnaryOperator<NettyServerBuilder> tuning)
      throws IOException {
    this.socket = socket;
    this.eventLoop = new EpollEventLoopGroup(1);
    this.server = tuning.apply(NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString())))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(eventLoop)
        .workerEventLoopGroup(eventLoop)
        // gRPC sets SO_KEEPALIVE on every accepted channel; a unix socket has none (Netty warns).
        .withChildOption(ChannelOption.SO_KEEPALIVE, null)
        .addService(ServerInterceptors.intercept(new Service(), new SecurityHeaderCheck()))
        .build()
        .start();
  }

  /** Serves on {@code socket} (a path that must not exist yet; removed again by {@link #close}). */
  public static WorkloadApiDouble start(Path socket) {
    return start(socket, UnaryOperator.identity());
  }

  /**
   * Serves on {@code socket} with grpc-java's server {@code tuning} applied, e.g. keep-alive PINGs
   * or a maximum connection age (GOAWAY), for tests of how a client takes them.
   */
  public static WorkloadApiDouble start(Path socket, UnaryOperator<NettyServerBuilder> tuning) {
    try {
      Files.createDirectories(socket.getParent());
      return new WorkloadApiDouble(socket, tuning);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve a Workload API double on " + socket, e);
    }
  }

  /** The value for {@code SPIFFE_ENDPOINT_SOCKET}. */
  public String address() {
    return "unix://" + socket;
  }

  /** Sends {@code response} on every open stream and to every stream opened from now on. */
  public void send(Workload.X509SVIDResponse response) {
    latest = response;
    for (ServerCallStreamObserver<Workload.X509SVIDResponse> stream : streams) {
      synchronized (stream) {
        if (!stream.isCancelled()) {
          stream.onNext(response);
          sent.incrementAndGet();
        }
      }
    }
  }

  /** How many X.509-SVID streams were opened with the security header (reconnects included). */
  public int streamsOpened() {
    return streamsOpened.get();
  }

  /** How many streams are open now. */
  public int openStreams() {
    return (int) streams.stream().filter(s -> !s.isCancelled()).count();
  }

  /** How many requests were refused for lacking {@code workload.spiffe.io: true}. */
  public int refusedWithoutHeader() {
    return refusedWithoutHeader.get();
  }

  /** How many responses went out, over all streams. */
  public int responsesSent() {
    return sent.get();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // a leftover socket file in a temporary directory is harmless
    }
  }

  // ---- building responses ----

  /**
   * A response holding one X.509-SVID as SPIRE sends it: {@code chain} as concatenated DER (leaf
   * first, no root), {@code key} as PKCS#8 DER, {@code bundle} as concatenated DER.
   */
  public static Workload.X509SVIDResponse response(String spiffeId, List<X509Certificate> chain,
      PrivateKey key, List<X509Certificate> bundle) {
    return response(spiffeId, der(chain), key.getEncoded(), der(bundle));
  }

  /** A response holding one X.509-SVID made of raw bytes (which may be anything). */
  public static Workload.X509SVIDResponse response(String spiffeId, byte[] chainDer, byte[] keyDer,
      byte[] bundleDer) {
    return Workload.X509SVIDResponse.newBuilder()
        .addSvids(Workload.X509SVID.newBuilder()
            .setSpiffeId(spiffeId)
            .setX509Svid(ByteString.copyFrom(chainDer))
            .setX509SvidKey(ByteString.copyFrom(keyDer))
            .setBundle(ByteString.copyFrom(bundleDer)))
        .build();
  }

  /** A response without any X.509-SVID. */
  public static Workload.X509SVIDResponse emptyResponse() {
    return Workload.X509SVIDResponse.getDefaultInstance();
  }

  /** Certificates as concatenated DER, the Workload API's encoding. */
  public static byte[] der(List<X509Certificate> certificates) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (X509Certificate certificate : certificates) {
      try {
        out.write(certificate.getEncoded());
      } catch (CertificateEncodingException | IOException e) {
        throw new IllegalArgumentException("cannot encode " + certificate.getSubjectX500Principal(), e);
      }
    }
    return out.toByteArray();
  }

  /** SPIRE refuses any call without {@code workload.spiffe.io: true} (an SSRF guard). */
  private final class SecurityHeaderCheck implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      if (!"true".equals(headers.get(SECURITY_HEADER))) {
        refusedWithoutHeader.incrementAndGet();
        call.close(Status.INVALID_ARGUMENT.withDescription("security header missing from request"),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }

  private final class Service extends SpiffeWorkloadAPIGrpc.SpiffeWorkloadAPIImplBase {
    @Override
    public void fetchX509SVID(Workload.X509SVIDRequest request,
        StreamObserver<Workload.X509SVIDResponse> observer) {
      ServerCallStreamObserver<Workload.X509SVIDResponse> stream =
          (ServerCallStreamObserver<Workload.X509SVIDResponse>) observer;
      streamsOpened.incrementAndGet();
      stream.setOnCancelHandler(() -> streams.remove(stream));
      synchronized (stream) {
        streams.add(stream);
        Workload.X509SVIDResponse first = latest;
        if (first != null) {
          stream.onNext(first);
          sent.incrementAndGet();
        }
      }
    }
  }
}
