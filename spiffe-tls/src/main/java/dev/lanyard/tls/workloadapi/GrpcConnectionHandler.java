package dev.lanyard.tls.workloadapi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The client end of one HTTP/2 connection to a gRPC server (the Workload API, or an application's
 * plaintext server for a health check, {@link GrpcUnaryClient}), with gRPC calls on its streams.
 * Netty's codec does HTTP/2 itself: HPACK, SETTINGS, PING answers, WINDOW_UPDATE (the local flow
 * controller returns a stream's and the connection's window once half of it is read, and every
 * byte counts as read as soon as it is handed to the call, so a stream that lives for days never
 * stalls), GOAWAY (streams above its last ID are closed, the others run to their end). This class
 * maps streams to {@link GrpcCall}s and HTTP/2 endings to gRPC statuses. Event loop only.
 */
final class GrpcConnectionHandler extends Http2ConnectionHandler {
  /** The Workload API's headers: the SPIRE Agent refuses a call without workload.spiffe.io. */
  static final Map<String, String> WORKLOAD_API_HEADERS =
      Map.of("user-agent", "lanyard-workload-api", "workload.spiffe.io", "true");

  /** Who is at the other end, for messages: "the Workload API at /run/spire/agent.sock". */
  private final String peer;
  private final String authority;
  private final Map<String, String> callHeaders;
  private final Map<Integer, GrpcCall> calls = new HashMap<>();
  private ChannelHandlerContext context;
  private volatile String goAway;

  private GrpcConnectionHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
      Http2Settings settings, String peer, String authority, Map<String, String> callHeaders) {
    super(decoder, encoder, settings);
    this.peer = peer;
    this.authority = authority;
    this.callHeaders = callHeaders;
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        GrpcCall call = calls.remove(stream.id());
        if (call != null) {
          call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE, goAway != null
              ? peer + " is going away (" + goAway + ")"
              : peer + " closed the stream without a status"));
        }
      }
    });
  }

  /** A connection to the Workload API at {@code target} (a socket path, or host:port). */
  static GrpcConnectionHandler create(String target) {
    return create("the Workload API at " + target, "localhost", WORKLOAD_API_HEADERS);
  }

  /**
   * A connection to {@code peer} (named so in every status), whose calls carry {@code :authority}
   * {@code authority} and {@code callHeaders} besides gRPC's own.
   */
  static GrpcConnectionHandler create(String peer, String authority,
      Map<String, String> callHeaders) {
    return new Builder(peer, authority, callHeaders).build();
  }

  /** Whether new calls may go on this connection (it is open and received no GOAWAY). */
  boolean acceptsCalls() {
    return goAway == null && context != null && context.channel().isActive();
  }

  /**
   * Opens a stream for {@code call}: request headers (the connection's call headers, e.g. {@code
   * workload.spiffe.io: true}, which the SPIRE Agent requires of every call, and {@code
   * grpc-timeout} when there is a deadline), then
   * {@code request} as one message that ends the stream's sending half.
   */
  void start(GrpcCall call, byte[] request, long timeoutNanos) {
    if (call.cancelRequested()) {
      return;
    }
    if (!acceptsCalls()) {
      call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE, goAway != null
          ? peer + " is going away (" + goAway + ")"
          : "the connection to " + peer + " is closed"));
      return;
    }
    int streamId = connection().local().incrementAndGetNextStreamId();
    Http2Headers headers = new DefaultHttp2Headers()
        .method("POST").scheme("http").authority(authority).path(call.method())
        .set("content-type", "application/grpc")
        .set("te", "trailers");
    callHeaders.forEach(headers::set);
    if (timeoutNanos > 0) {
      headers.set("grpc-timeout", GrpcTimeout.encode(timeoutNanos));
    }
    calls.put(streamId, call);
    call.canceller(() -> context.executor().execute(() -> reset(streamId)));
    ChannelHandlerContext ctx = context;
    ChannelFutureListener failed = written -> {
      if (!written.isSuccess() && calls.remove(streamId) == call) {
        call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE, "cannot send " + call.method()
            + " to " + peer + ": " + written.cause()));
      }
    };
    encoder().writeHeaders(ctx, streamId, headers, 0, false, ctx.newPromise()).addListener(failed);
    ByteBuf body = Unpooled.wrappedBuffer(GrpcDeframer.frame(request));
    encoder().writeData(ctx, streamId, body, 0, true, ctx.newPromise()).addListener(failed);
    // This handler's flush, not ctx.flush(): DATA waits in the flow controller until it runs.
    flushQuietly(ctx);
    if (timeoutNanos > 0) {
      ctx.executor().schedule(() -> deadlineReached(streamId, call), timeoutNanos,
          TimeUnit.NANOSECONDS);
    }
  }

  private void deadlineReached(int streamId, GrpcCall call) {
    if (calls.get(streamId) == call) {
      call.close(new GrpcStatus(GrpcStatus.DEADLINE_EXCEEDED,
          "no answer from " + peer + " within the deadline"));
      reset(streamId);
    }
  }

  private void reset(int streamId) {
    GrpcCall call = calls.remove(streamId);
    if (call == null) {
      return;
    }
    call.close(new GrpcStatus(GrpcStatus.CANCELLED, "cancelled by Lanyard"));
    Http2Stream stream = connection().stream(streamId);
    if (stream != null && context.channel().isActive()) {
      resetStream(context, streamId, Http2Error.CANCEL.code(), context.newPromise());
      flushQuietly(context);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.context = ctx;
    super.handlerAdded(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    for (GrpcCall call : new ArrayList<>(calls.values())) {
      call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE,
          "the connection to " + peer + " closed"));
    }
    calls.clear();
    super.channelInactive(ctx);
  }

  private final class FrameListener extends Http2FrameAdapter {
    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
        boolean endOfStream) {
      int processed = data.readableBytes() + padding;
      GrpcCall call = calls.get(streamId);
      if (call != null && call.onData(data)) {
        calls.remove(streamId);
        resetIfOpen(ctx, streamId);
      } else if (call != null && endOfStream) {
        calls.remove(streamId);
        call.close(new GrpcStatus(GrpcStatus.INTERNAL,
            peer + " ended the stream without trailers"));
      }
      return processed;
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
        int padding, boolean endOfStream) {
      GrpcCall call = calls.get(streamId);
      if (call != null && call.onHeaders(headers, endOfStream)) {
        calls.remove(streamId);
        if (!endOfStream) {
          resetIfOpen(ctx, streamId);
        }
      }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
        int streamDependency, short weight, boolean exclusive, int padding, boolean endOfStream) {
      onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
      GrpcCall call = calls.remove(streamId);
      if (call != null) {
        call.close(new GrpcStatus(statusOfReset(errorCode), peer
            + " reset the stream (HTTP/2 " + errorName(errorCode) + ")"));
      }
    }

    @Override
    public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode,
        ByteBuf debugData) {
      goAway = "HTTP/2 GOAWAY " + errorName(errorCode) + ", last stream " + lastStreamId
          + (debugData.isReadable() ? ", " + debugData.toString(StandardCharsets.UTF_8) : "");
    }
  }

  private void resetIfOpen(ChannelHandlerContext ctx, int streamId) {
    Http2Stream stream = connection().stream(streamId);
    if (stream != null && stream.state() != Http2Stream.State.CLOSED) {
      resetStream(ctx, streamId, Http2Error.CANCEL.code(), ctx.newPromise());
      flushQuietly(ctx);
    }
  }

  private void flushQuietly(ChannelHandlerContext ctx) {
    try {
      flush(ctx);
    } catch (Exception e) {
      ctx.fireExceptionCaught(e);
    }
  }

  /** gRPC's mapping of HTTP/2 error codes to statuses (PROTOCOL-HTTP2.md). */
  static int statusOfReset(long errorCode) {
    if (errorCode == Http2Error.REFUSED_STREAM.code()) {
      return GrpcStatus.UNAVAILABLE;
    }
    if (errorCode == Http2Error.CANCEL.code()) {
      return GrpcStatus.CANCELLED;
    }
    if (errorCode == Http2Error.ENHANCE_YOUR_CALM.code()) {
      return GrpcStatus.RESOURCE_EXHAUSTED;
    }
    return GrpcStatus.INTERNAL;
  }

  private static String errorName(long errorCode) {
    Http2Error error = Http2Error.valueOf(errorCode);
    return error == null ? "error " + errorCode : error.name();
  }

  private static final class Builder
      extends AbstractHttp2ConnectionHandlerBuilder<GrpcConnectionHandler, Builder> {
    private final String peer;
    private final String authority;
    private final Map<String, String> callHeaders;

    Builder(String peer, String authority, Map<String, String> callHeaders) {
      this.peer = peer;
      this.authority = authority;
      this.callHeaders = callHeaders;
      server(false);
      initialSettings(Http2Settings.defaultSettings().pushEnabled(false));
    }

    @Override
    public GrpcConnectionHandler build() {
      return super.build();
    }

    @Override
    protected GrpcConnectionHandler build(Http2ConnectionDecoder decoder,
        Http2ConnectionEncoder encoder, Http2Settings settings) throws Http2Exception {
      GrpcConnectionHandler handler = new GrpcConnectionHandler(decoder, encoder, settings, peer,
          authority, callHeaders);
      frameListener(handler.new FrameListener());
      return handler;
    }
  }
}
