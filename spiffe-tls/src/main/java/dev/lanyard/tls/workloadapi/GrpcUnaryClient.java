package dev.lanyard.tls.workloadapi;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Unary gRPC calls to a plaintext server on a TCP address (HTTP/2 with prior knowledge, "h2c",
 * as the kubelet's {@code grpc} probe makes them), each on a connection of its own that closes
 * with the call: the same HTTP/2 codec, framing and statuses as the Workload API client, on one
 * event-loop thread from {@code threads}. Used by the health port's gRPC application probes.
 */
public final class GrpcUnaryClient implements AutoCloseable {
  private final String userAgent;
  private final EventLoopGroup eventLoop;

  private GrpcUnaryClient(String userAgent, ThreadFactory threads) {
    this.userAgent = userAgent;
    Epoll.ensureAvailability();
    this.eventLoop = new MultiThreadIoEventLoopGroup(1, threads, EpollIoHandler.newFactory());
  }

  /**
   * A client whose calls say {@code user-agent: userAgent}.
   *
   * @throws UnsatisfiedLinkError when Netty's epoll transport cannot load here (not Linux)
   */
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
    String peer = server + " at " + where;
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    byte[][] message = new byte[1][];
    GrpcCall call = new GrpcCall(method, new GrpcCall.Listener() {
      @Override
      public void onMessage(byte[] received) {
        message[0] = received; // the event loop's thread only, as onClose
      }

      @Override
      public void onClose(GrpcStatus status) {
        if (status.isOk() && message[0] != null) {
          answer.complete(message[0]);
        } else {
          answer.completeExceptionally(new WorkloadApiException(status.isOk()
              ? new GrpcStatus(GrpcStatus.INTERNAL, peer + " answered " + method
                  + " without a message") : status));
        }
      }
    }, GrpcDeframer.DEFAULT_MAX_MESSAGE, peer);
    long nanos = Math.max(1, timeout.toNanos());
    ChannelFuture connect = new Bootstrap()
        .group(eventLoop)
        .channel(EpollSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())))
        .handler(GrpcConnectionHandler.create(peer, where, Map.of("user-agent", userAgent)))
        .connect(address);
    Channel channel = connect.channel();
    connect.addListener(done -> {
      if (!done.isSuccess()) {
        call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE, "cannot connect to " + peer + ": "
            + WorkloadApiClient.describe(done.cause())));
        return;
      }
      channel.pipeline().get(GrpcConnectionHandler.class).start(call, request, nanos);
    });
    try {
      return answer.get(nanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw (WorkloadApiException) e.getCause();
    } catch (TimeoutException e) {
      call.cancel();
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.DEADLINE_EXCEEDED,
          "no answer from " + peer + " within " + timeout.toMillis() + " ms"));
    } catch (InterruptedException e) {
      call.cancel();
      throw e;
    } finally {
      channel.close();
    }
  }

  /** Closes every connection and stops the client's thread. */
  @Override
  public void close() {
    eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
