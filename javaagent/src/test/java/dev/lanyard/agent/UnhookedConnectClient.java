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
 * A plain client on Netty's native epoll transport, the way {@code LANYARD_UPGRADE_OUTBOUND}'s
 * connect hook cannot redirect. Usage: {@code UnhookedConnectClient <host> <port>}: connects,
 * writes one line, prints {@code SENT} and exits 0; a failed connect prints its stack trace and
 * exits 3.
 */
public final class UnhookedConnectClient {
  private UnhookedConnectClient() {}

  public static void main(String[] args) throws Exception {
    Epoll.ensureAvailability();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    int exit = 0;
    try {
      Channel channel = new Bootstrap().group(group).channel(EpollSocketChannel.class)
          .handler(new ChannelInboundHandlerAdapter())
          .connect(args[0], Integer.parseInt(args[1])).sync().channel();
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
    System.out.flush();
    System.exit(exit);
  }
}
