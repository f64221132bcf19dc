package dev.lanyard.tls.workloadapi;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One gRPC call on one HTTP/2 stream, as its response arrives: response headers, then messages,
 * then trailers with the status (or all in one "trailers-only" HEADERS frame). Everything here
 * runs under its connection's lock ({@link Http2Session}), on the connection's reader thread but
 * for a call that could not start or was cancelled; {@link Listener#onClose} is called at most
 * once, and not after {@link #cancel}.
 */
public final class GrpcCall {
  /** What a call reports; called on the connection's thread, must be quick and must not block. */
  public interface Listener {
    void onMessage(byte[] message);

    void onClose(GrpcStatus status);
  }

  private final String method;
  /** Who answers, for messages ("the Workload API"). */
  private final String peer;
  private final Listener listener;
  private final GrpcDeframer deframer;
  private boolean headersSeen;
  private boolean closed;
  /** Set by the connection once the call's stream exists; cancels it. */
  private volatile Runnable canceller;
  private volatile boolean cancelRequested;

  GrpcCall(String method, Listener listener, int maxMessage) {
    this(method, listener, maxMessage, "the Workload API");
  }

  GrpcCall(String method, Listener listener, int maxMessage, String peer) {
    this.method = method;
    this.peer = peer;
    this.listener = listener;
    this.deframer = new GrpcDeframer(maxMessage, peer);
  }

  /** The full method name, e.g. {@code /SpiffeWorkloadAPI/FetchX509SVID}. */
  public String method() {
    return method;
  }

  /** Ends the call (RST_STREAM CANCEL); its listener hears nothing more. Any thread. */
  public void cancel() {
    cancelRequested = true;
    Runnable cancel = canceller;
    if (cancel != null) {
      cancel.run();
    }
  }

  boolean cancelRequested() {
    return cancelRequested;
  }

  void canceller(Runnable cancel) {
    this.canceller = cancel;
    if (cancelRequested) {
      cancel.run();
    }
  }

  boolean isClosed() {
    return closed;
  }

  /** Response headers or trailers; true when the call is over. */
  boolean onHeaders(HeaderList headers, boolean endStream) {
    if (closed) {
      return true;
    }
    if (!headersSeen) {
      headersSeen = true;
      GrpcStatus refusal = checkResponseHeaders(headers, peer);
      if (refusal != null) {
        close(refusal);
        return true;
      }
      if (!endStream) {
        return false;
      }
    }
    if (!endStream) {
      close(new GrpcStatus(GrpcStatus.INTERNAL, peer + " sent a second HEADERS frame"
          + " that does not end the stream"));
      return true;
    }
    GrpcStatus status = GrpcStatus.fromTrailers(headers.get("grpc-status"),
        headers.get("grpc-message"));
    if (status.isOk() && !deframer.atMessageBoundary()) {
      status = new GrpcStatus(GrpcStatus.INTERNAL, "the response ended inside a message");
    }
    close(status);
    return true;
  }

  /** Response body bytes; true when the call is over (a refused message, or cancelled). */
  boolean onData(byte[] data, int offset, int length) {
    if (closed || cancelRequested) {
      return true;
    }
    if (!headersSeen) {
      close(new GrpcStatus(GrpcStatus.INTERNAL, peer + " sent DATA before headers"));
      return true;
    }
    List<byte[]> messages;
    try {
      messages = deframer.feed(ByteBuffer.wrap(data, offset, length));
    } catch (WorkloadApiException e) {
      close(e.status());
      return true;
    }
    for (byte[] message : messages) {
      if (cancelRequested) {
        return true;
      }
      listener.onMessage(message);
    }
    return false;
  }

  /** Ends the call with {@code status} unless it ended already. */
  void close(GrpcStatus status) {
    if (closed) {
      return;
    }
    closed = true;
    if (!cancelRequested) {
      listener.onClose(status);
    }
  }

  /**
   * gRPC's answer to a response that is not gRPC (its PROTOCOL-HTTP2.md): an HTTP status other
   * than 200 or another content type; null when the headers are a gRPC response's.
   */
  private static GrpcStatus checkResponseHeaders(HeaderList headers, String peer) {
    String status = headers.status();
    if (!"200".equals(status)) {
      return new GrpcStatus("403".equals(status)
          ? GrpcStatus.PERMISSION_DENIED : GrpcStatus.UNKNOWN,
          peer + " answered HTTP status " + status + " (gRPC needs 200)");
    }
    String contentType = headers.get("content-type");
    if (contentType == null || !contentType.startsWith("application/grpc")) {
      return new GrpcStatus(GrpcStatus.UNKNOWN, peer + " answered content-type "
          + contentType + " (gRPC needs application/grpc)");
    }
    return null;
  }
}
