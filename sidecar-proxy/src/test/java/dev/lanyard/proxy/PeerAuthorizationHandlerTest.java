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

  @Test
  void otherExceptionsStillGoOn() {
    Promise<String> authorized = ImmediateEventExecutor.INSTANCE.newPromise();
    EmbeddedChannel channel = new EmbeddedChannel(new PeerAuthorizationHandler(authorized));

    channel.pipeline().fireExceptionCaught(new IllegalStateException("something else"));

    assertThatThrownBy(channel::checkException).hasMessage("something else");
  }
}
