package dev.lanyard.agent;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A plain client on a transport {@code LANYARD_UPGRADE_OUTBOUND}'s connect hook cannot redirect:
 * Netty's native epoll transport chosen explicitly, or NIO2's {@code AsynchronousSocketChannel}.
 * Usage: {@code UnhookedConnectClient epoll|nio2 <host> <port> <admin host:port>}: connects,
 * writes one line, prints {@code SENT}; a failed connect prints its stack trace. Then prints its
 * own Lanyard's {@code lanyard_outbound_not_upgraded_connects_total} lines from {@code /metrics}
 * (prefixed {@code NOT_UPGRADED_CONNECTS}) and exits 0, or 3 when the connect failed.
 */
public final class UnhookedConnectClient {
  private UnhookedConnectClient() {}

  public static void main(String[] args) throws Exception {
    int exit = args[0].equals("nio2") ? nio2(args[1], Integer.parseInt(args[2]))
        : epoll(args[1], Integer.parseInt(args[2]));
    printCounts(args[3]);
    System.out.flush();
    System.exit(exit);
  }

  private static int nio2(String host, int port) throws Exception {
    try (java.nio.channels.AsynchronousSocketChannel channel =
        java.nio.channels.AsynchronousSocketChannel.open()) {
      channel.connect(new java.net.InetSocketAddress(host, port)).get();
      channel.write(java.nio.ByteBuffer.wrap("plain line\n".getBytes(StandardCharsets.US_ASCII)))
          .get();
      System.out.println("SENT");
      return 0;
    } catch (Exception e) {
      e.printStackTrace();
      return 3;
    }
  }

  private static int epoll(String host, int port) throws Exception {
    Epoll.ensureAvailability();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    int exit = 0;
    try {
      Channel channel = new Bootstrap().group(group).channel(EpollSocketChannel.class)
          .handler(new ChannelInboundHandlerAdapter())
          .connect(host, port).sync().channel();
      channel.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("plain line\n",
          StandardCharsets.US_ASCII)).sync();
      channel.close().sync();
      System.out.println("SENT");
    } catch (Exception e) {
      e.printStackTrace();
      exit = 3;
    } finally {
      group.shutdownGracefully().sync();
    }
    return exit;
  }

  /** Lanyard's admin endpoint starts in the background: asked until it answers (20 s). */
  private static void printCounts(String admin) throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    while (true) {
      try {
        String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://" + admin + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        metrics.lines().filter(line -> line.startsWith("lanyard_outbound_not_upgraded_connects"))
            .forEach(line -> System.out.println("NOT_UPGRADED_CONNECTS " + line));
        return;
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }
}
