package dev.lanyard.agent;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.util.concurrent.CountDownLatch;

/**
 * A server that binds its ports the ways {@code LANYARD_UPGRADE_INBOUND}'s bind hook cannot
 * redirect. Usage: {@code UnhookedBindServer nio2|epoll|grpc-shaded-epoll <port>...}: binds each
 * port (on the wildcard address) with NIO2's {@code AsynchronousServerSocketChannel}, Netty's
 * native epoll transport chosen explicitly, or a {@code grpc-netty-shaded} server told to use its
 * bundled epoll transport, prints {@code LISTENING transport=...} and waits.
 */
public final class UnhookedBindServer {
  private UnhookedBindServer() {}

  public static void main(String[] args) throws Exception {
    try {
      bindAll(args);
    } catch (Exception e) {
      // Netty's and gRPC's event loop threads are not daemons: exit, as a server failing to bind
      // its port would, instead of idling with them.
      e.printStackTrace();
      System.exit(3);
    }
    System.out.println("LISTENING transport=" + args[0]);
    System.out.flush();
    new CountDownLatch(1).await();
  }

  private static void bindAll(String[] args) throws Exception {
    String transport = args[0];
    for (int i = 1; i < args.length; i++) {
      int port = Integer.parseInt(args[i]);
      if (transport.equals("nio2")) {
        AsynchronousServerSocketChannel.open().bind(new InetSocketAddress(port));
      } else if (transport.equals("grpc-shaded-epoll")) {
        // Epoll chosen by the application itself, not by gRPC's detection: Lanyard leaves it be.
        io.grpc.netty.shaded.io.netty.channel.EventLoopGroup group =
            new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(1);
        io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forPort(port)
            .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel.class)
            .bossEventLoopGroup(group).workerEventLoopGroup(group)
            .build().start();
      } else {
        Epoll.ensureAvailability();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
            .childHandler(new ChannelInboundHandlerAdapter())
            .bind(port).sync();
      }
    }
  }
}
