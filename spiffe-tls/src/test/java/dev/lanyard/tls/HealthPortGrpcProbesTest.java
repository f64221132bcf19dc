package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.lanyard.tls.workloadapi.proto.HealthProto.HealthCheckRequest;
import dev.lanyard.tls.workloadapi.proto.HealthProto.HealthCheckResponse;
import dev.lanyard.tls.workloadapi.proto.HealthProto.HealthCheckResponse.ServingStatus;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The health port runs the {@code grpc} probes of {@code LANYARD_APP_PROBES} as {@code
 * grpc.health.v1.Health/Check} against the application's own plaintext gRPC server (here a real
 * grpc-java server on loopback, its health service answering what each test sets), over Lanyard's
 * own HTTP/2 client: {@code 200} only for {@code SERVING}, else {@code 503} saying why.
 */
class HealthPortGrpcProbesTest {
  private static final String PROBES = "{"
      + "\"/app-health/app/readyz\":{\"grpc\":{\"port\":9090,\"service\":\"\"},"
      + "\"timeoutSeconds\":2},"
      + "\"/app-health/app/livez\":{\"grpc\":{\"port\":9090,\"service\":\"orders.v1.Orders\"},"
      + "\"timeoutSeconds\":2},"
      + "\"/app-health/bare/livez\":{\"grpc\":{\"port\":9091},\"timeoutSeconds\":2},"
      + "\"/app-health/http1/livez\":{\"grpc\":{\"port\":9092},\"timeoutSeconds\":2},"
      + "\"/app-health/closed/livez\":{\"grpc\":{\"port\":9093},\"timeoutSeconds\":1},"
      + "\"/app-health/hanging/livez\":{\"grpc\":{\"port\":9094},\"timeoutSeconds\":1}}";

  private final TestCa ca = TestCa.root("lanyard.test");
  /** What the health service answers per service name; a missing name is NOT_FOUND. */
  private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private Server grpc;
  private Server bare;
  private HttpServer http1;
  private ServerSocket hanging;
  private int closedPort;
  private LanyardTls tls;
  private InetSocketAddress health;

  @BeforeEach
  void start() throws Exception {
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(healthService(), userAgent()))
        .build().start();
    bare = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            InsecureServerCredentials.create())
        .build().start(); // a gRPC server without the health service
    http1 = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    http1.createContext("/", exchange -> {
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    http1.start();
    hanging = new ServerSocket(0, 8, InetAddress.getLoopbackAddress()); // accepts, never answers
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = free.getLocalPort();
    }
    FakeSvidSource source = new FakeSvidSource();
    source.update(ca.svid("spiffe://lanyard.test/ns/a/sa/b"), ca.bundles());
    tls = LanyardTls.builder(LanyardConfig.fromEnv(Map.of("LANYARD_ADMIN_ADDRESS", "off",
            "LANYARD_HEALTH_ADDRESS", "127.0.0.1:0", "LANYARD_APP_PROBES", PROBES),
            new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
    Map<Integer, Integer> moved = Map.of(9090, grpc.getPort(), 9091, bare.getPort(),
        9092, http1.getAddress().getPort(), 9093, closedPort, 9094, hanging.getLocalPort());
    tls.appProbeTargets(port -> new InetSocketAddress(InetAddress.getLoopbackAddress(),
        moved.get(port)));
    health = tls.healthServer().orElseThrow().address();
  }

  @AfterEach
  void stop() throws Exception {
    tls.close();
    grpc.shutdownNow();
    bare.shutdownNow();
    http1.stop(0);
    hanging.close();
  }

  @Test
  void servingIs200AndTheCheckCarriesTheProbesServiceAndTheKubeletsUserAgent() throws Exception {
    statuses.put("", ServingStatus.SERVING_VALUE);
    statuses.put("orders.v1.Orders", ServingStatus.SERVING_VALUE);

    String server = get("/app-health/app/readyz");
    String orders = get("/app-health/app/livez");

    assertThat(server).startsWith("HTTP/1.1 200 ").endsWith("ok: gRPC health check of service \"\""
        + " on port 9090 (the application at 127.0.0.1:" + grpc.getPort() + ") answered SERVING\n");
    assertThat(orders).startsWith("HTTP/1.1 200 ").contains("service \"orders.v1.Orders\"");
    assertThat(seen).containsExactly("service \"\" from kube-probe/lanyard",
        "service \"orders.v1.Orders\" from kube-probe/lanyard");
  }

  @Test
  void everyOtherServingStatusIs503NamingIt() throws Exception {
    statuses.put("", ServingStatus.NOT_SERVING_VALUE);
    assertThat(get("/app-health/app/readyz")).startsWith("HTTP/1.1 503 ")
        .endsWith("failed: gRPC health check of service \"\" on port 9090 (the application at"
            + " 127.0.0.1:" + grpc.getPort() + ") answered NOT_SERVING (only SERVING passes)\n");
    statuses.put("", ServingStatus.UNKNOWN_VALUE);
    assertThat(get("/app-health/app/readyz")).startsWith("HTTP/1.1 503 ")
        .endsWith(" answered UNKNOWN (only SERVING passes)\n");
    statuses.put("", ServingStatus.SERVICE_UNKNOWN_VALUE);
    assertThat(get("/app-health/app/readyz")).startsWith("HTTP/1.1 503 ")
        .endsWith(" answered SERVICE_UNKNOWN (only SERVING passes)\n");
    statuses.put("", 42);
    assertThat(get("/app-health/app/readyz")).startsWith("HTTP/1.1 503 ")
        .endsWith(" answered status 42 (only SERVING passes)\n");
  }

  @Test
  void anUnknownServiceAndAServerWithoutTheHealthServiceFailWithTheirGrpcStatus()
      throws Exception {
    statuses.put("", ServingStatus.SERVING_VALUE);

    assertThat(get("/app-health/app/livez")).startsWith("HTTP/1.1 503 ")
        .endsWith("failed: gRPC health check of service \"orders.v1.Orders\" on port 9090 (the"
            + " application at 127.0.0.1:" + grpc.getPort() + "): the application's health"
            + " service does not know service \"orders.v1.Orders\" (NOT_FOUND: unknown service)\n");
    assertThat(get("/app-health/bare/livez")).startsWith("HTTP/1.1 503 ")
        .contains("failed: gRPC health check of service \"\" on port 9091 (the application at"
            + " 127.0.0.1:" + bare.getPort() + "): the application serves no"
            + " grpc.health.v1.Health service (UNIMPLEMENTED: ");
  }

  @Test
  void noServerAnHttp1ServerAndASilentOneFailSayingWhy() throws Exception {
    assertThat(get("/app-health/closed/livez")).startsWith("HTTP/1.1 503 ")
        .contains("failed: gRPC health check of service \"\" on port 9093 (the application at"
            + " 127.0.0.1:" + closedPort + "): UNAVAILABLE: cannot connect to the application's"
            + " gRPC server at 127.0.0.1:" + closedPort + ": ")
        .contains("Connection refused");
    // The HTTP/1 server answers HTTP/2's preface with an HTTP/1 error and closes: the check
    // reads that answer (named), or, when the server closed before the call was written, fails
    // to send it. A race; both fail the probe saying where.
    int http1Port = http1.getAddress().getPort();
    assertThat(get("/app-health/http1/livez")).startsWith("HTTP/1.1 503 ")
        .contains("failed: gRPC health check of service \"\" on port 9092 (the application at"
            + " 127.0.0.1:" + http1Port + "): ")
        .containsAnyOf("INTERNAL: the application's gRPC server at 127.0.0.1:" + http1Port
            + " broke HTTP/2: PROTOCOL_ERROR: the application's gRPC server answered in HTTP/1"
            + " (\"HTTP/1.1 ...\"), not HTTP/2; gRPC needs a server that speaks HTTP/2 with prior"
            + " knowledge (h2c)\n", "UNAVAILABLE: cannot send /grpc.health.v1.Health/Check to the"
            + " application's gRPC server at 127.0.0.1:" + http1Port + ": ");
    long started = System.nanoTime();
    assertThat(get("/app-health/hanging/livez")).startsWith("HTTP/1.1 503 ")
        .contains("failed: gRPC health check of service \"\" on port 9094 (the application at"
            + " 127.0.0.1:" + hanging.getLocalPort() + "): no answer within 1s (the probe's"
            + " timeoutSeconds): DEADLINE_EXCEEDED: ");
    assertThat(System.nanoTime() - started).as("bounded by the probe's timeout")
        .isLessThan(5_000_000_000L);
    assertThat(get("/ready")).startsWith("HTTP/1.1 200 ");
  }

  /** grpc.health.v1.Health/Check on grpc-java, answering {@link #statuses}. */
  private ServerServiceDefinition healthService() {
    MethodDescriptor<byte[], byte[]> check = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("grpc.health.v1.Health/Check")
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    return ServerServiceDefinition.builder("grpc.health.v1.Health")
        .addMethod(check, ServerCalls.asyncUnaryCall((request, answer) -> {
          String service;
          try {
            service = HealthCheckRequest.parseFrom(request).getService();
          } catch (IOException e) {
            answer.onError(Status.INVALID_ARGUMENT.asRuntimeException());
            return;
          }
          seen.add("service \"" + service + "\" from " + userAgent.get());
          Integer status = statuses.get(service);
          if (status == null) {
            answer.onError(Status.NOT_FOUND.withDescription("unknown service").asRuntimeException());
            return;
          }
          answer.onNext(HealthCheckResponse.newBuilder().setStatusValue(status).build().toByteArray());
          answer.onCompleted();
        }))
        .build();
  }

  private final ThreadLocal<String> userAgent = new ThreadLocal<>();

  private ServerInterceptor userAgent() {
    Metadata.Key<String> key = Metadata.Key.of("user-agent", Metadata.ASCII_STRING_MARSHALLER);
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        String agent = headers.get(key);
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(
            listener) {
          @Override
          public void onHalfClose() {
            userAgent.set(agent);
            try {
              super.onHalfClose();
            } finally {
              userAgent.remove();
            }
          }
        };
      }
    };
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private String get(String path) throws Exception {
    try (Socket socket = new Socket(health.getAddress(), health.getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        answer.write(buffer, 0, n);
      }
      return answer.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
