package dev.lanyard.agent;

import dev.lanyard.compat.PeerService;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.util.concurrent.TimeUnit;

/**
 * A plaintext gRPC client on {@code grpc-netty-shaded} at its defaults ({@code
 * NettyChannelBuilder.forTarget(target).usePlaintext()}, no transport chosen: gRPC picks its
 * bundled epoll transport when the native library loads). Usage: {@code GrpcDefaultsClient
 * <host:port>}: one {@link PeerService#WHOAMI} call, prints {@code OK body=<answer>} and exits 0;
 * a failed call prints its stack trace and exits 3.
 */
public final class GrpcDefaultsClient {
  private GrpcDefaultsClient() {}

  public static void main(String[] args) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forTarget(args[0]).usePlaintext().build();
    int exit = 0;
    try {
      // Generous: a cold JVM on a loaded node waited 13.5 s for its first SVID before the call.
      String answer = ClientCalls.blockingUnaryCall(channel, PeerService.WHOAMI,
          CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), "whoami");
      System.out.println("OK body=" + answer);
    } catch (RuntimeException e) {
      e.printStackTrace();
      exit = 3;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.out.flush();
    System.exit(exit);
  }
}
