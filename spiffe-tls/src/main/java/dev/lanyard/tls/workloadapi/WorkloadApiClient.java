package dev.lanyard.tls.workloadapi;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.lanyard.tls.workloadapi.proto.Workload;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A SPIFFE Workload API client on one HTTP/2 connection over the JDK's socket channel (opened at
 * the first call, opened again when it closed or the agent sent GOAWAY), whose reader thread
 * comes from {@code threads} (docs/ARCHITECTURE.md, "The Workload API client"). The calls: {@code
 * FetchX509SVID} as a stream ({@link #watchX509}), {@code FetchJWTSVID} and the first answer of
 * {@code FetchJWTBundles} as bounded calls. Retries are the caller's.
 */
public final class WorkloadApiClient implements AutoCloseable {
  static final String FETCH_X509_SVID = "/SpiffeWorkloadAPI/FetchX509SVID";
  static final String FETCH_JWT_SVID = "/SpiffeWorkloadAPI/FetchJWTSVID";
  static final String FETCH_JWT_BUNDLES = "/SpiffeWorkloadAPI/FetchJWTBundles";

  private final WorkloadApiEndpoint endpoint;
  private final ThreadFactory threads;
  private final int maxMessage;
  private final Object lock = new Object();
  private Http2Connection connection;
  /** Connections that received GOAWAY and still carry calls below its last stream ID. */
  private final List<Http2Connection> draining = new ArrayList<>();
  private boolean closed;

  private WorkloadApiClient(URI address, ThreadFactory threads, int maxMessage) {
    this.endpoint = WorkloadApiEndpoint.of(address);
    this.threads = threads;
    this.maxMessage = maxMessage;
  }

  /**
   * A client for {@code address}, a {@code unix:///path} or {@code tcp://ip:port} URI that
   * java-spiffe's {@code Address.parseAddress} accepted; connects at the first call (a unix
   * socket needs Java 16+: on older JVMs every call fails UNAVAILABLE saying so).
   */
  public static WorkloadApiClient create(URI address, ThreadFactory threads) {
    return new WorkloadApiClient(address, threads, GrpcDeframer.DEFAULT_MAX_MESSAGE);
  }

  static WorkloadApiClient create(URI address, ThreadFactory threads, int maxMessage) {
    return new WorkloadApiClient(address, threads, maxMessage);
  }

  /** What the client connects to (a socket path, or host:port), for messages. */
  public String target() {
    return endpoint.target();
  }

  /** Listens to an X.509-SVID stream; callbacks run on the connection's thread and must only hand over. */
  public interface X509Listener {
    void onUpdate(Workload.X509SVIDResponse update);

    /** A message that is not an {@code X509SVIDResponse}: the stream goes on. */
    void onUndecodable(InvalidProtocolBufferException error);

    /** The stream ended (never {@code OK} for a stream that should not end). */
    void onClose(GrpcStatus status);
  }

  /** Opens {@code FetchX509SVID}; {@link GrpcCall#cancel} ends it. */
  public GrpcCall watchX509(X509Listener listener) {
    GrpcCall call = new GrpcCall(FETCH_X509_SVID, new GrpcCall.Listener() {
      @Override
      public void onMessage(byte[] message) {
        Workload.X509SVIDResponse update;
        try {
          update = Workload.X509SVIDResponse.parseFrom(message);
        } catch (InvalidProtocolBufferException e) {
          listener.onUndecodable(e);
          return;
        }
        listener.onUpdate(update);
      }

      @Override
      public void onClose(GrpcStatus status) {
        listener.onClose(status);
      }
    }, maxMessage);
    start(call, Workload.X509SVIDRequest.getDefaultInstance().toByteArray(), 0);
    return call;
  }

  /** {@code FetchJWTSVID} for {@code audience}, answered within {@code timeout} or failed. */
  public Workload.JWTSVIDResponse fetchJwtSvid(String audience, Duration timeout)
      throws WorkloadApiException, InterruptedException {
    byte[] request = Workload.JWTSVIDRequest.newBuilder().addAudience(audience).build().toByteArray();
    byte[] answer = firstMessage(FETCH_JWT_SVID, request, timeout);
    try {
      return Workload.JWTSVIDResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.INTERNAL,
          "the Workload API's JWTSVIDResponse cannot be decoded: " + e.getMessage()), e);
    }
  }

  /** The first answer of {@code FetchJWTBundles} (the stream is then cancelled), within {@code timeout}. */
  public Workload.JWTBundlesResponse fetchJwtBundles(Duration timeout)
      throws WorkloadApiException, InterruptedException {
    byte[] request = Workload.JWTBundlesRequest.getDefaultInstance().toByteArray();
    byte[] answer = firstMessage(FETCH_JWT_BUNDLES, request, timeout);
    try {
      return Workload.JWTBundlesResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.INTERNAL,
          "the Workload API's JWTBundlesResponse cannot be decoded: " + e.getMessage()), e);
    }
  }

  private byte[] firstMessage(String method, byte[] request, Duration timeout)
      throws WorkloadApiException, InterruptedException {
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    GrpcCall[] holder = new GrpcCall[1];
    GrpcCall call = new GrpcCall(method, new GrpcCall.Listener() {
      @Override
      public void onMessage(byte[] message) {
        if (answer.complete(message)) {
          holder[0].cancel(); // a stream (FetchJWTBundles): the first answer is all we need
        }
      }

      @Override
      public void onClose(GrpcStatus status) {
        answer.completeExceptionally(new WorkloadApiException(status.isOk()
            ? new GrpcStatus(GrpcStatus.INTERNAL, "the Workload API answered " + method
                + " without a message") : status));
      }
    }, maxMessage);
    holder[0] = call;
    long nanos = Math.max(1, timeout.toNanos());
    start(call, request, nanos);
    try {
      return answer.get(nanos + TimeUnit.MILLISECONDS.toNanos(200), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw (WorkloadApiException) e.getCause();
    } catch (TimeoutException e) {
      call.cancel();
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.DEADLINE_EXCEEDED,
          "no answer from the Workload API at " + target() + " within " + timeout.toMillis() + " ms"));
    } catch (InterruptedException e) {
      call.cancel();
      throw e;
    }
  }

  private void start(GrpcCall call, byte[] request, long timeoutNanos) {
    Http2Connection ready = connection();
    if (ready == null) {
      call.close(new GrpcStatus(GrpcStatus.CANCELLED, "the Workload API client is closed"));
      return;
    }
    ready.start(call, request, timeoutNanos);
  }

  /**
   * The open connection, or a new one when there is none or it may take no more calls. One that
   * received GOAWAY is left to finish the calls it still carries, then closes by itself.
   */
  private Http2Connection connection() {
    synchronized (lock) {
      if (closed) {
        return null;
      }
      if (connection != null && connection.acceptsCalls()) {
        return connection;
      }
      draining.removeIf(old -> !old.busy());
      if (connection != null) {
        if (connection.busy()) {
          draining.add(connection);
        } else {
          connection.close();
        }
      }
      connection = Http2Connection.open(endpoint, threads);
      return connection;
    }
  }

  /** The root cause's message (or its type): what a connect or call failure names. */
  static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }

  /** Closes the connections (every call ends) and so ends their threads. */
  @Override
  public void close() {
    List<Http2Connection> toClose = new ArrayList<>();
    synchronized (lock) {
      closed = true;
      if (connection != null) {
        toClose.add(connection);
      }
      toClose.addAll(draining);
      draining.clear();
    }
    for (Http2Connection open : toClose) {
      open.close();
    }
  }
}
