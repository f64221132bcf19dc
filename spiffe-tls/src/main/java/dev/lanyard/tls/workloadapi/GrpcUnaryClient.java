package dev.lanyard.tls.workloadapi;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Unary gRPC calls to a plaintext server on a TCP address (HTTP/2 with prior knowledge, "h2c",
 * as the kubelet's {@code grpc} probe makes them), each on a connection of its own that closes
 * with the call: the same HTTP/2 session, framing and statuses as the Workload API client, on the
 * JDK's {@link SocketChannel} with one reader thread per call from {@code threads}. Used by the
 * health port's gRPC application probes.
 */
public final class GrpcUnaryClient implements AutoCloseable {
  private final String userAgent;
  private final ThreadFactory threads;

  private GrpcUnaryClient(String userAgent, ThreadFactory threads) {
    this.userAgent = userAgent;
    this.threads = threads;
  }

  /** A client whose calls say {@code user-agent: userAgent}, reading on threads from {@code threads}. */
  public static GrpcUnaryClient create(String userAgent, ThreadFactory threads) {
    return new GrpcUnaryClient(userAgent, threads);
  }

  /**
   * Calls {@code method} (e.g. {@code /grpc.health.v1.Health/Check}) on the server at {@code
   * address} with one request message and returns its one answer; connect and call together
   * take at most {@code timeout} (also sent as {@code grpc-timeout}).
   *
   * @param server who is at {@code address}, for the statuses: "the application's gRPC server"
   * @throws WorkloadApiException with the gRPC status when the call ends without an answer: the
   *     server's own status, {@code UNAVAILABLE} when it cannot be reached, {@code
   *     DEADLINE_EXCEEDED} after {@code timeout}
   */
  public byte[] call(InetSocketAddress address, String server, String method, byte[] request,
      Duration timeout) throws WorkloadApiException, InterruptedException {
    String where = address.getAddress().getHostAddress() + ":" + address.getPort();
    GrpcPeer peer = GrpcPeer.server(server, where, userAgent);
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    byte[][] message = new byte[1][];
    GrpcCall call = new GrpcCall(method, new GrpcCall.Listener() {
      @Override
      public void onMessage(byte[] received) {
        message[0] = received; // the reader thread only, as onClose
      }

      @Override
      public void onClose(GrpcStatus status) {
        if (status.isOk() && message[0] != null) {
          answer.complete(message[0]);
        } else {
          answer.completeExceptionally(new WorkloadApiException(status.isOk()
              ? new GrpcStatus(GrpcStatus.INTERNAL, peer.at() + " answered " + method
                  + " without a message") : status));
        }
      }
    }, GrpcDeframer.DEFAULT_MAX_MESSAGE, peer.at());
    long nanos = Math.max(1, timeout.toNanos());
    int connectMillis = (int) Math.max(1, Math.min(Http2Connection.CONNECT_TIMEOUT_MILLIS,
        timeout.toMillis()));
    Http2Connection connection = Http2Connection.open(
        ignored -> connect(address, connectMillis), peer, threads);
    connection.start(call, request, nanos);
    try {
      return answer.get(nanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw (WorkloadApiException) e.getCause();
    } catch (TimeoutException e) {
      call.cancel();
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.DEADLINE_EXCEEDED,
          "no answer from " + peer.at() + " within " + timeout.toMillis() + " ms"));
    } catch (InterruptedException e) {
      call.cancel();
      throw e;
    } finally {
      connection.close();
    }
  }

  private static SocketChannel connect(InetSocketAddress address, int timeoutMillis)
      throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.socket().connect(address, timeoutMillis);
      channel.socket().setTcpNoDelay(true);
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Nothing to release: every call closes its own connection and so ends its thread. */
  @Override
  public void close() {
  }
}
