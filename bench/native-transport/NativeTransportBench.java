import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the plaintext upgrade's steering to NIO costs a gRPC-Java service (issue 19): one JVM runs a
 * grpc-netty-shaded server and client over loopback, both on the transport named by the first
 * argument ({@code epoll} or {@code nio}), without Lanyard, so only the transport differs. Prints
 * one line: warm unary latency p50/p99 on one connection (sequential calls), throughput with
 * {@code concurrency} callers for {@code windowMs}, and the process CPU time per 1000 calls of that
 * window. Usage: {@code NativeTransportBench epoll|nio [warmup] [calls] [concurrency] [windowMs]}.
 * Run by bench/native-transport.sh, which interleaves fresh JVMs of both.
 */
public final class NativeTransportBench {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try (stream) {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  private static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("bench.Echo/Echo").setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES).build();

  public static void main(String[] args) throws Exception {
    boolean epoll = args[0].equals("epoll");
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    int calls = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
    int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 8;
    long windowMs = args.length > 4 ? Long.parseLong(args[4]) : 4000;
    EventLoopGroup group = epoll ? new EpollEventLoopGroup(2) : new NioEventLoopGroup(2);
    ServerServiceDefinition service = ServerServiceDefinition.builder("bench.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, responses) -> {
          responses.onNext(request);
          responses.onCompleted();
        })).build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .channelType(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .bossEventLoopGroup(group).workerEventLoopGroup(group)
        .addService(service).build().start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
        .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .eventLoopGroup(group).usePlaintext().build();
    byte[] payload = new byte[256];
    for (int i = 0; i < warmup; i++) {
      ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, payload);
    }
    long[] micros = new long[calls];
    for (int i = 0; i < calls; i++) {
      long began = System.nanoTime();
      ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, payload);
      micros[i] = (System.nanoTime() - began) / 1000;
    }
    Arrays.sort(micros);
    AtomicLong done = new AtomicLong();
    long cpuBefore = cpuNanos();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(windowMs);
    Thread[] callers = new Thread[concurrency];
    for (int t = 0; t < concurrency; t++) {
      callers[t] = new Thread(() -> {
        while (System.nanoTime() < deadline) {
          ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, payload);
          done.incrementAndGet();
        }
      });
      callers[t].start();
    }
    for (Thread caller : callers) {
      caller.join();
    }
    long cpu = cpuNanos() - cpuBefore;
    System.out.printf("RESULT transport=%s p50_us=%d p99_us=%d per_second=%.0f cpu_ms_per_1000=%.1f%n",
        args[0], micros[calls / 2], micros[calls * 99 / 100], done.get() * 1000.0 / windowMs,
        cpu / 1e6 / (done.get() / 1000.0));
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
