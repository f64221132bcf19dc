package dev.lanyard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads along the app's answers on an HTTP mesh connection, which are relayed to the client as
 * the app wrote them: each chunk is also parsed by Netty's response decoder and every response
 * head is reported to {@link UpgradeTracker}. Once the app has switched protocols, there is nothing
 * left to follow.
 *
 * <p>The decoder is called directly on a retained duplicate of the relayed bytes (its own
 * cumulation only for a head split across reads), not through a channel of its own: this runs for
 * every response of every HTTP mesh connection, and a pipeline per connection plus a pass through
 * it per read cost more than the parsing. The parsed heads are read for their status and framing
 * only and never forwarded, so their headers are not validated (the client gets the app's bytes).
 */
final class AppResponseWatcher extends ChannelInboundHandlerAdapter {
  private final UpgradeTracker tracker;
  private final Decoder decoder;
  private final List<Object> decoded = new ArrayList<>(4);
  /** A copy of what the decoder has not consumed yet (a partial head or chunk line); or null. */
  private ByteBuf pending;
  private boolean done;

  AppResponseWatcher(UpgradeTracker tracker) {
    this.tracker = tracker;
    this.decoder = new Decoder(tracker);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!done && msg instanceof ByteBuf bytes && bytes.isReadable()) {
      try {
        follow(ctx, bytes);
      } catch (Exception e) {
        stop("error: " + e);
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void follow(ChannelHandlerContext ctx, ByteBuf bytes) throws Exception {
    ByteBuf input = pending == null ? bytes.retainedDuplicate()
        : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), pending, bytes.retainedDuplicate());
    pending = null;
    try {
      // As ByteToMessageDecoder.callDecode does: decode until a pass neither reads nor produces.
      while (input.isReadable() && !done) {
        int before = input.readableBytes();
        decoder.decode(ctx, input, decoded);
        boolean produced = !decoded.isEmpty();
        observeDecoded();
        if (!produced && before == input.readableBytes()) {
          break;
        }
      }
    } finally {
      // A copy of the rest (a partial head or chunk line: small), never the relayed buffer itself,
      // which the next cumulation would otherwise write into.
      if (input.isReadable() && !done) {
        pending = ctx.alloc().heapBuffer(input.readableBytes()).writeBytes(input);
      }
      input.release();
    }
  }

  private void observeDecoded() {
    try {
      for (Object msg : decoded) {
        if (msg instanceof HttpObject http) {
          observe(http);
        }
      }
    } finally {
      decoded.forEach(ReferenceCountUtil::release);
      decoded.clear();
    }
  }

  private void observe(HttpObject msg) {
    if (done) {
      return;
    }
    if (msg.decoderResult().isFailure()) {
      stop(String.valueOf(msg.decoderResult().cause()));
      return;
    }
    if (msg instanceof HttpResponse response && tracker.answered(response)) {
      finish();
    }
  }

  private void stop(String why) {
    finish();
    tracker.unreadable(why);
  }

  private void finish() {
    done = true;
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    finish();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    finish();
    ctx.fireChannelInactive();
  }

  /** Knows that an answer to HEAD has no body, which the response alone does not say. */
  private static final class Decoder extends HttpResponseDecoder {
    private final UpgradeTracker tracker;

    Decoder(UpgradeTracker tracker) {
      super(new HttpDecoderConfig().setMaxInitialLineLength(16 * 1024).setMaxHeaderSize(64 * 1024)
          .setMaxChunkSize(64 * 1024)
          .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(false))
          .setTrailersFactory(DefaultHttpHeadersFactory.trailersFactory().withValidation(false)));
      this.tracker = tracker;
    }

    /** Widened for {@link AppResponseWatcher}, which feeds the decoder itself. */
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
      super.decode(ctx, buffer, out);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      if (msg instanceof HttpResponse response) {
        int code = response.status().code();
        if ((code >= 100 && code < 200) || tracker.answeringHead()) {
          return true;
        }
      }
      return super.isContentAlwaysEmpty(msg);
    }
  }
}
