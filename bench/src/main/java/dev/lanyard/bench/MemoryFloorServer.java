package dev.lanyard.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory floor of the sidecar's mandated libraries: the smallest mTLS server Netty and
 * BoringSSL (netty-tcnative) allow, with nothing of Lanyard's (no Workload API client, admin
 * endpoint, metrics, policy or HTTP codec). One event loop, client certificates required, an
 * answer of {@code ok} and a close. Its key, certificate and trusted CA arrive as PEM on stdin, so
 * no key touches the disk. Run by {@link MemoryFloorBench} with the sidecar's classpath.
 */
public final class MemoryFloorServer {
  private static final Pattern CERTIFICATE =
      Pattern.compile("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\\s*");
  private static final Pattern KEY =
      Pattern.compile("-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----\\s*");
  private static final byte[] ANSWER =
      "HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII);

  private MemoryFloorServer() {}

  public static void main(String[] args) throws Exception {
    if (!OpenSsl.isAvailable()) {
      throw new IllegalStateException("BoringSSL did not load: " + OpenSsl.unavailabilityCause());
    }
    String pem = new String(System.in.readAllBytes(), StandardCharsets.US_ASCII);
    Matcher certificates = CERTIFICATE.matcher(pem);
    String leaf = nextBlock(certificates, "the server certificate");
    String authority = nextBlock(certificates, "the CA certificate");
    Matcher key = KEY.matcher(pem);
    if (!key.find()) {
      throw new IllegalArgumentException("stdin has no PKCS#8 private key");
    }
    SslContext context = SslContextBuilder.forServer(stream(leaf), stream(key.group()))
        .trustManager(stream(authority)).clientAuth(ClientAuth.REQUIRE)
        .sslProvider(SslProvider.OPENSSL).build();
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    int port = ((java.net.InetSocketAddress) new ServerBootstrap().group(loop)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(context.newHandler(channel.alloc()), new AnswerOk());
          }
        }).bind("127.0.0.1", 0).sync().channel().localAddress()).getPort();
    System.out.println("LISTENING port=" + port + " provider=" + SslProvider.OPENSSL
        + " boringssl=" + OpenSsl.versionString());
  }

  private static String nextBlock(Matcher certificates, String what) {
    if (!certificates.find()) {
      throw new IllegalArgumentException("stdin lacks " + what + " (PEM)");
    }
    return certificates.group();
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }

  /** Answers the first bytes of any request with {@code ok} and closes. */
  private static final class AnswerOk extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      ReferenceCountUtil.release(message);
      ctx.writeAndFlush(Unpooled.wrappedBuffer(ANSWER)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
