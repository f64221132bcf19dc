package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** A refused handshake on in-memory channels: one reason, no exception left for the pipeline's tail. */
class PeerAuthorizationHandlerTest {
  private static final String REFUSAL = "lanyard: refused inbound TLS from peer"
      + " spiffe://lanyard.test/ns/x/sa/y (local spiffe://lanyard.test/ns/a/sa/b): expired";

  @Test
  void aRefusedHandshakeIsRecordedOnceAndItsDecoderExceptionStopsHere() {
    Promise<String> authorized = ImmediateEventExecutor.INSTANCE.newPromise();
    SSLHandshakeException failure = new SSLHandshakeException("General OpenSslEngine problem");
    failure.initCause(new java.security.cert.CertificateException(REFUSAL));
    EmbeddedChannel channel = new EmbeddedChannel(new FailingHandshake(failure),
        new PeerAuthorizationHandler(authorized));

    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {22, 3, 3}));

    // EmbeddedChannel rethrows what reached the tail: nothing must.
    channel.checkException();
    assertThat(authorized.cause()).hasMessage("peer_refused: " + REFUSAL);
    assertThat(channel.isOpen()).isFalse();
  }

  /** What SslHandler does when the trust manager refuses: the event, then the decoder's exception. */
  private static final class FailingHandshake extends ChannelInboundHandlerAdapter {
    private final SSLHandshakeException failure;

    FailingHandshake(SSLHandshakeException failure) {
      this.failure = failure;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      ctx.fireUserEventTriggered(new SslHandshakeCompletionEvent(failure));
      throw new DecoderException(failure);
    }
  }

  /**
   * Bytes that are not TLS, or a record longer than TLS allows, fail the handshake inside a real
   * SslHandler with an SSLException that is no SSLHandshakeException: it must stop here too, or
   * every port scan of a mesh port logs a stack trace (found by SidecarAbuseIT).
   */
  @Test
  void garbageAndOversizedRecordsFailTheHandshakeWithoutReachingTheTail() throws Exception {
    byte[] notTls = "SSH-2.0-OpenSSH_9.6\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] oversized = new byte[64];
    oversized[0] = 0x16;
    oversized[1] = 0x03;
    oversized[2] = 0x01;
    oversized[3] = (byte) 0xff;
    oversized[4] = (byte) 0xff;
    // BoringSSL, as the sidecar runs it (the JDK engine waits for the rest of an oversized record).
    assertThat(io.netty.handler.ssl.OpenSsl.isAvailable()).isTrue();
    for (byte[] input : new byte[][] {notTls, oversized}) {
      Promise<String> authorized = ImmediateEventExecutor.INSTANCE.newPromise();
      io.netty.handler.ssl.SslContext context = io.netty.handler.ssl.SslContextBuilder.forClient()
          .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL).build();
      EmbeddedChannel channel = new EmbeddedChannel(
          context.newHandler(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT),
          new PeerAuthorizationHandler(authorized));
      channel.releaseOutbound();

      channel.writeInbound(Unpooled.wrappedBuffer(input));

      channel.checkException();
      assertThat(authorized.isSuccess()).isFalse();
      assertThat(authorized.cause()).hasMessageStartingWith("handshake_failed: ");
      assertThat(channel.isOpen()).isFalse();
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void otherExceptionsStillGoOn() {
    Promise<String> authorized = ImmediateEventExecutor.INSTANCE.newPromise();
    EmbeddedChannel channel = new EmbeddedChannel(new PeerAuthorizationHandler(authorized));

    channel.pipeline().fireExceptionCaught(new IllegalStateException("something else"));

    assertThatThrownBy(channel::checkException).hasMessage("something else");
  }
}
