package dev.lanyard.agent;

import dev.lanyard.compat.PeerService;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.CountDownLatch;

/**
 * A plaintext gRPC server on {@code grpc-netty-shaded} at its defaults, as most gRPC-Java services
 * are written: {@code NettyServerBuilder.forPort(port)}, no transport chosen, so gRPC picks its
 * bundled epoll transport whenever the native library loads (always on Linux x86_64). Usage:
 * {@code GrpcDefaultsServer <port>}: serves {@link PeerService} on the wildcard address, prints
 * {@code LISTENING port=<port>} and waits; a failed start prints its stack trace and exits 3.
 */
public final class GrpcDefaultsServer {
  private GrpcDefaultsServer() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    try {
      NettyServerBuilder.forPort(port).addService(PeerService.definition()).build().start();
    } catch (Exception e) {
      // gRPC's event loop threads are not daemons: exit as a server that cannot bind would.
      e.printStackTrace();
      System.exit(3);
    }
    System.out.println("LISTENING port=" + port);
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
