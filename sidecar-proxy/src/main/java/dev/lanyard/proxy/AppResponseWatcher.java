package dev.lanyard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;

/**
 * Reads along the app's answers on an HTTP mesh connection, which are relayed to the client as
 * the app wrote them: a copy of each chunk goes through Netty's response decoder (in a channel of
 * its own, so it never asks the app for bytes) and every response head is reported to {@link
 * UpgradeTracker}. Once the app has switched protocols, there is nothing left to follow.
 */
final class AppResponseWatcher extends ChannelInboundHandlerAdapter {
  private final UpgradeTracker tracker;
  private EmbeddedChannel reader;
  private boolean done;

  AppResponseWatcher(UpgradeTracker tracker) {
    this.tracker = tracker;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    reader = new EmbeddedChannel(new Decoder(tracker), new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext heads, Object msg) {
        try {
          if (msg instanceof HttpObject http) {
            observe(http);
          }
        } finally {
          ReferenceCountUtil.release(msg);
        }
      }
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!done && msg instanceof ByteBuf bytes) {
      try {
        reader.writeInbound(bytes.retainedDuplicate());
        reader.checkException();
      } catch (RuntimeException e) {
        stop("error: " + e);
      }
    }
    ctx.fireChannelRead(msg);
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
      done = true;
    }
  }

  private void stop(String why) {
    done = true;
    tracker.unreadable(why);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    done = true;
    reader.finishAndReleaseAll();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    done = true;
    ctx.fireChannelInactive();
  }

  /** Knows that an answer to HEAD has no body, which the response alone does not say. */
  private static final class Decoder extends HttpResponseDecoder {
    private final UpgradeTracker tracker;

    Decoder(UpgradeTracker tracker) {
      super(new HttpDecoderConfig().setMaxInitialLineLength(16 * 1024).setMaxHeaderSize(64 * 1024)
          .setMaxChunkSize(64 * 1024));
      this.tracker = tracker;
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
