package dev.lanyard.tls.workloadapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The client side of one HTTP/2 connection with gRPC calls on its streams, without the socket:
 * frames come in through {@link #onFrame}, frames go out through {@link Output}. It answers
 * SETTINGS and PING, keeps both flow-control directions (gives the window back as calls consume
 * DATA; sends request DATA only within the peer's windows), reassembles HEADERS + CONTINUATION,
 * maps RST_STREAM and GOAWAY to gRPC statuses, and throws {@link Http2ProtocolException} for a
 * connection error. Not implemented, as a gRPC client on a local socket needs none of them:
 * server push (refused in SETTINGS), priorities (read and ignored), a client-side queue at the
 * peer's SETTINGS_MAX_CONCURRENT_STREAMS (the peer refuses a stream above it, REFUSED_STREAM,
 * which ends the call UNAVAILABLE and the caller retries), and a dynamic table for requests.
 *
 * <p>Every method holds the session's lock, also while writing: what it writes (requests of a
 * few hundred bytes, window updates, PING and SETTINGS acknowledgements) never fills a socket
 * buffer, so the reader thread is never kept waiting for long. Calls' listeners run under it too
 * and must only hand over (they do: {@code WorkloadApiSvidSource}, {@code WorkloadApiClient}).
 */
final class Http2Session {
  static final int DEFAULT_WINDOW = 65_535;
  static final int DEFAULT_MAX_FRAME = 16_384;
  /** What this client accepts for a response's (decoded) header list; gRPC's default is 8 KiB. */
  static final int MAX_HEADER_LIST = 16 * 1024;
  /** The most compressed header block bytes (HEADERS + CONTINUATIONs) gathered for one block. */
  static final int MAX_HEADER_BLOCK = 4 * MAX_HEADER_LIST;
  private static final int LAST_STREAM_ID = Integer.MAX_VALUE;

  /** Where frames go: the socket, in one write per call so that frames never interleave. */
  interface Output {
    void write(byte[] frames) throws IOException;
  }

  private final GrpcPeer peer;
  private final Output output;
  private final Hpack hpack;
  private final Map<Integer, Stream> streams = new HashMap<>();
  private final ReceiveWindow connectionReceive = new ReceiveWindow(DEFAULT_WINDOW);
  private final SendWindow connectionSend = new SendWindow(DEFAULT_WINDOW);
  private int peerInitialWindow = DEFAULT_WINDOW;
  private int peerMaxFrame = DEFAULT_MAX_FRAME;
  private int nextStreamId = 1;
  private String goAway;
  private boolean closed;
  private ByteArrayOutputStream continuing;
  private int continuingStreamId;
  private boolean continuingEndsStream;

  Http2Session(GrpcPeer peer, Output output) {
    this.peer = peer;
    this.output = output;
    this.hpack = new Hpack(MAX_HEADER_LIST, peer.name());
  }

  /** The client's preface and SETTINGS: no server push, the header list size it accepts. */
  static byte[] preface() {
    byte[] settings = Http2Frames.settings(Http2Frames.SETTINGS_ENABLE_PUSH, 0,
        Http2Frames.SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST);
    byte[] preface = Arrays.copyOf(Http2Frames.PREFACE, Http2Frames.PREFACE.length + settings.length);
    System.arraycopy(settings, 0, preface, Http2Frames.PREFACE.length, settings.length);
    return preface;
  }

  /** Whether new calls may start here (open, and no GOAWAY received). */
  synchronized boolean acceptsCalls() {
    return !closed && goAway == null;
  }

  /** After a GOAWAY, once its last stream ended: the connection has nothing more to do. */
  synchronized boolean drained() {
    return goAway != null && streams.isEmpty();
  }

  synchronized int openStreams() {
    return streams.size();
  }

  /**
   * Opens a stream for {@code call}: request headers (the peer's, e.g. {@code workload.spiffe.io:
   * true}, which the SPIRE Agent requires of every call, and {@code grpc-timeout} when there is a
   * deadline), then
   * {@code request} as one message that ends the stream's sending half.
   */
  synchronized void start(GrpcCall call, byte[] request, long timeoutNanos) {
    if (call.cancelRequested()) {
      return;
    }
    if (!acceptsCalls()) {
      call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE, goAway != null
          ? peer.at() + " is going away (" + goAway + ")"
          : "the connection to " + peer.at() + " is closed"));
      return;
    }
    int streamId = nextStreamId;
    nextStreamId += 2;
    if (nextStreamId < 0) { // the client's stream IDs are used up: later calls need a new connection
      goAway = "this client used up its stream IDs";
    }
    List<String> headers = peer.requestHeaders(call.method());
    if (timeoutNanos > 0) {
      headers.add("grpc-timeout");
      headers.add(GrpcTimeout.encode(timeoutNanos));
    }
    Stream stream = new Stream(streamId, call, GrpcDeframer.frame(request), peerInitialWindow);
    streams.put(streamId, stream);
    try {
      output.write(Http2Frames.headers(streamId, hpack.encode(headers), false, peerMaxFrame));
      sendData(stream);
    } catch (IOException e) {
      streams.remove(streamId);
      call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE, "cannot send " + call.method()
          + " to " + peer.at() + ": " + e.getMessage()));
      return;
    }
    call.canceller(() -> cancel(streamId));
  }

  /** Ends the stream (RST_STREAM CANCEL) unless it ended already. Any thread. */
  synchronized void cancel(int streamId) {
    Stream stream = streams.remove(streamId);
    if (stream == null) {
      return;
    }
    stream.call.close(new GrpcStatus(GrpcStatus.CANCELLED, "cancelled by Lanyard"));
    writeQuietly(Http2Frames.rstStream(streamId, Http2ErrorCodes.CANCEL));
  }

  /** The connection is gone: every call still open ends with {@code status}. */
  synchronized void connectionLost(GrpcStatus status) {
    closed = true;
    List<Stream> open = new ArrayList<>(streams.values());
    streams.clear();
    for (Stream stream : open) {
      stream.call.close(status);
    }
  }

  /** One frame from the peer, in order. */
  synchronized void onFrame(Http2Frame frame) throws Http2ProtocolException, IOException {
    if (continuing != null
        && (frame.type != Http2Frame.CONTINUATION || frame.streamId != continuingStreamId)) {
      throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR, peer.name() + " sent "
          + frame + " where the CONTINUATION of stream " + continuingStreamId + " was due");
    }
    switch (frame.type) {
      case Http2Frame.DATA:
        onData(frame);
        break;
      case Http2Frame.HEADERS:
        onHeaders(frame);
        break;
      case Http2Frame.CONTINUATION:
        onContinuation(frame);
        break;
      case Http2Frame.PRIORITY: // may name any stream, even an idle one; ignored
        if (frame.streamId == 0) {
          throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR,
              peer.name() + " sent " + frame + "; it needs a stream");
        }
        requireLength(frame, 5);
        break;
      case Http2Frame.RST_STREAM:
        onRstStream(frame);
        break;
      case Http2Frame.SETTINGS:
        onSettings(frame);
        break;
      case Http2Frame.PUSH_PROMISE:
        throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR, peer.name() + " sent"
            + " PUSH_PROMISE; this client disabled server push (SETTINGS_ENABLE_PUSH 0)");
      case Http2Frame.PING:
        onPing(frame);
        break;
      case Http2Frame.GOAWAY:
        onGoAway(frame);
        break;
      case Http2Frame.WINDOW_UPDATE:
        onWindowUpdate(frame);
        break;
      default:
        break; // an extension frame: ignored, as RFC 9113 section 4.1 asks
    }
  }

  private void onData(Http2Frame frame) throws Http2ProtocolException, IOException {
    onStreamFrame(frame);
    int flowControlled = frame.payload.length;
    connectionReceive.received(flowControlled, "the connection");
    int offset = 0;
    int length = frame.payload.length;
    if (frame.has(Http2Frame.FLAG_PADDED)) {
      int padding = padding(frame);
      offset = 1;
      length -= 1 + padding;
    }
    Stream stream = streams.get(frame.streamId);
    boolean endStream = frame.has(Http2Frame.FLAG_END_STREAM);
    boolean streamOpen = false;
    if (stream != null) {
      if (stream.receive.window() < flowControlled) {
        resetStream(stream, Http2ErrorCodes.FLOW_CONTROL_ERROR, peer.name() + " sent "
            + flowControlled + " bytes of DATA with a stream window of "
            + stream.receive.window() + " bytes");
      } else {
        stream.receive.received(flowControlled, "stream " + frame.streamId);
        if (stream.call.onData(frame.payload, offset, length)) {
          resetStream(stream, Http2ErrorCodes.CANCEL, null);
        } else if (endStream) {
          if (streams.remove(stream.id) != null) {
            stream.call.close(new GrpcStatus(GrpcStatus.INTERNAL,
                peer.name() + " ended the stream without trailers"));
          }
        } else {
          streamOpen = streams.containsKey(stream.id); // not if a listener cancelled its call
        }
      }
    }
    // Consumed as soon as handed over (or dropped for a stream that ended): give the window back.
    ByteArrayOutputStream updates = new ByteArrayOutputStream(26);
    int connectionIncrement = connectionReceive.consumed(flowControlled);
    if (connectionIncrement > 0) {
      updates.writeBytes(Http2Frames.windowUpdate(0, connectionIncrement));
    }
    int streamIncrement = streamOpen ? stream.receive.consumed(flowControlled) : 0;
    if (streamIncrement > 0) {
      updates.writeBytes(Http2Frames.windowUpdate(stream.id, streamIncrement));
    }
    if (updates.size() > 0) {
      output.write(updates.toByteArray());
    }
  }

  private void onHeaders(Http2Frame frame) throws Http2ProtocolException, IOException {
    onStreamFrame(frame);
    int offset = 0;
    int end = frame.payload.length;
    if (frame.has(Http2Frame.FLAG_PADDED)) {
      end -= padding(frame);
      offset = 1;
    }
    if (frame.has(Http2Frame.FLAG_PRIORITY)) {
      offset += 5;
    }
    if (offset > end) {
      throw new Http2ProtocolException(Http2ErrorCodes.FRAME_SIZE_ERROR, peer.name() + " sent "
          + frame + ", too short for its padding and priority fields");
    }
    byte[] fragment = Arrays.copyOfRange(frame.payload, offset, end);
    boolean endStream = frame.has(Http2Frame.FLAG_END_STREAM);
    if (frame.has(Http2Frame.FLAG_END_HEADERS)) {
      onHeaderBlock(frame.streamId, fragment, endStream);
      return;
    }
    continuing = new ByteArrayOutputStream(fragment.length * 2);
    continuingStreamId = frame.streamId;
    continuingEndsStream = endStream;
    appendContinuing(fragment, 0, fragment.length);
  }

  private void onContinuation(Http2Frame frame) throws Http2ProtocolException, IOException {
    if (continuing == null) {
      throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR, peer.name() + " sent "
          + frame + " without a HEADERS frame before it");
    }
    appendContinuing(frame.payload, 0, frame.payload.length);
    if (frame.has(Http2Frame.FLAG_END_HEADERS)) {
      byte[] block = continuing.toByteArray();
      continuing = null;
      onHeaderBlock(continuingStreamId, block, continuingEndsStream);
    }
  }

  private void appendContinuing(byte[] bytes, int offset, int length) throws Http2ProtocolException {
    if (continuing.size() + length > MAX_HEADER_BLOCK) {
      throw new Http2ProtocolException(Http2ErrorCodes.ENHANCE_YOUR_CALM, peer.name() + " sent"
          + " a header block of more than " + MAX_HEADER_BLOCK + " bytes");
    }
    continuing.write(bytes, offset, length);
  }

  /** A whole header block: decoded always (HPACK's table is the connection's), then the call's. */
  private void onHeaderBlock(int streamId, byte[] block, boolean endStream)
      throws Http2ProtocolException, IOException {
    HeaderList headers = hpack.decode(block);
    Stream stream = streams.get(streamId);
    if (stream == null) {
      return;
    }
    if (headers.truncated()) {
      streams.remove(streamId);
      stream.call.close(new GrpcStatus(GrpcStatus.RESOURCE_EXHAUSTED, peer.name() + " sent"
          + " headers of more than " + MAX_HEADER_LIST + " bytes, this client's limit"));
      if (!endStream) {
        output.write(Http2Frames.rstStream(streamId, Http2ErrorCodes.CANCEL));
      }
      return;
    }
    if (stream.call.onHeaders(headers, endStream) && streams.remove(streamId) != null
        && !endStream) {
      output.write(Http2Frames.rstStream(streamId, Http2ErrorCodes.CANCEL));
    }
  }

  private void onRstStream(Http2Frame frame) throws Http2ProtocolException {
    onStreamFrame(frame);
    requireLength(frame, 4);
    long code = frame.uint32(0);
    Stream stream = streams.remove(frame.streamId);
    if (stream != null) {
      stream.call.close(new GrpcStatus(Http2ErrorCodes.grpcStatusOfReset(code), peer.at()
          + " reset the stream (HTTP/2 " + Http2ErrorCodes.name(code) + ")"));
    }
  }

  private void onSettings(Http2Frame frame) throws Http2ProtocolException, IOException {
    onConnectionFrame(frame);
    if (frame.has(Http2Frame.FLAG_ACK)) {
      requireLength(frame, 0);
      return;
    }
    if (frame.payload.length % 6 != 0) {
      throw new Http2ProtocolException(Http2ErrorCodes.FRAME_SIZE_ERROR, peer.name() + " sent "
          + frame + "; SETTINGS are 6 bytes each");
    }
    for (int at = 0; at < frame.payload.length; at += 6) {
      int id = (frame.payload[at] & 0xff) << 8 | frame.payload[at + 1] & 0xff;
      applySetting(id, frame.uint32(at + 2));
    }
    output.write(Http2Frames.settingsAck());
    for (Stream stream : new ArrayList<>(streams.values())) {
      sendData(stream);
    }
  }

  private void applySetting(int id, long value) throws Http2ProtocolException {
    switch (id) {
      case Http2Frames.SETTINGS_ENABLE_PUSH:
        if (value > 1) {
          throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR,
              peer.name() + " sent SETTINGS_ENABLE_PUSH " + value + " (0 or 1)");
        }
        break;
      case Http2Frames.SETTINGS_INITIAL_WINDOW_SIZE:
        if (value > SendWindow.MAX) {
          throw new Http2ProtocolException(Http2ErrorCodes.FLOW_CONTROL_ERROR,
              peer.name() + " sent SETTINGS_INITIAL_WINDOW_SIZE " + value + ", above 2^31-1");
        }
        long delta = value - peerInitialWindow;
        for (Stream stream : streams.values()) {
          stream.send.add(delta, "stream " + stream.id);
        }
        peerInitialWindow = (int) value;
        break;
      case Http2Frames.SETTINGS_MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME || value > 0xff_ffff) {
          throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR, peer.name() + " sent"
              + " SETTINGS_MAX_FRAME_SIZE " + value + " (16384 to 16777215)");
        }
        peerMaxFrame = (int) value;
        break;
      default:
        // HEADER_TABLE_SIZE: requests use no dynamic table; MAX_CONCURRENT_STREAMS and
        // MAX_HEADER_LIST_SIZE: see the class comment; unknown settings are ignored (RFC 9113).
        break;
    }
  }

  private void onPing(Http2Frame frame) throws Http2ProtocolException, IOException {
    onConnectionFrame(frame);
    requireLength(frame, 8);
    if (!frame.has(Http2Frame.FLAG_ACK)) {
      output.write(Http2Frames.pingAck(frame.payload));
    }
  }

  /**
   * No new streams on this connection; the ones above the peer's last stream ID were never
   * processed and end UNAVAILABLE (the caller retries on a new connection), the others run on.
   */
  private void onGoAway(Http2Frame frame) throws Http2ProtocolException {
    onConnectionFrame(frame);
    if (frame.payload.length < 8) {
      throw new Http2ProtocolException(Http2ErrorCodes.FRAME_SIZE_ERROR, peer.name() + " sent "
          + frame + "; GOAWAY has at least 8 bytes");
    }
    int lastStreamId = frame.int31(0);
    long code = frame.uint32(4);
    String debug = new String(frame.payload, 8, frame.payload.length - 8, StandardCharsets.UTF_8);
    goAway = "HTTP/2 GOAWAY " + Http2ErrorCodes.name(code) + ", last stream " + lastStreamId
        + (debug.isEmpty() ? "" : ", " + debug);
    List<Stream> refused = new ArrayList<>();
    for (Stream stream : streams.values()) {
      if (stream.id > lastStreamId) {
        refused.add(stream);
      }
    }
    for (Stream stream : refused) {
      streams.remove(stream.id);
      stream.call.close(new GrpcStatus(GrpcStatus.UNAVAILABLE, peer.at()
          + " is going away (" + goAway + ")"));
    }
  }

  private void onWindowUpdate(Http2Frame frame) throws Http2ProtocolException, IOException {
    requireLength(frame, 4);
    int increment = frame.int31(0);
    if (frame.streamId == 0) {
      if (increment == 0) {
        throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR,
            peer.name() + " sent a WINDOW_UPDATE of 0 for the connection");
      }
      connectionSend.add(increment, "the connection");
      for (Stream stream : new ArrayList<>(streams.values())) {
        sendData(stream);
      }
      return;
    }
    onStreamFrame(frame);
    Stream stream = streams.get(frame.streamId);
    if (stream == null) {
      return;
    }
    if (increment == 0) {
      resetStream(stream, Http2ErrorCodes.PROTOCOL_ERROR,
          peer.name() + " sent a WINDOW_UPDATE of 0 for stream " + stream.id);
      return;
    }
    try {
      stream.send.add(increment, "stream " + stream.id);
    } catch (Http2ProtocolException e) {
      resetStream(stream, Http2ErrorCodes.FLOW_CONTROL_ERROR, e.getMessage());
      return;
    }
    sendData(stream);
  }

  /** Request DATA as far as both windows and the peer's frame size allow; the rest waits. */
  private void sendData(Stream stream) throws IOException {
    while (stream.pendingOffset < stream.pending.length) {
      int length = Math.min(stream.pending.length - stream.pendingOffset,
          Math.min(peerMaxFrame, Math.min(connectionSend.available(), stream.send.available())));
      if (length <= 0) {
        return;
      }
      boolean last = stream.pendingOffset + length == stream.pending.length;
      output.write(Http2Frames.data(stream.id, stream.pending, stream.pendingOffset, length, last));
      stream.pendingOffset += length;
      connectionSend.take(length);
      stream.send.take(length);
    }
  }

  /** A stream error: the call ends INTERNAL (unless it ended already) and the stream is reset. */
  private void resetStream(Stream stream, long code, String why) throws IOException {
    if (streams.remove(stream.id) == null) {
      return; // ended already (a listener cancelled its own call): one RST_STREAM is enough
    }
    if (why != null) {
      stream.call.close(new GrpcStatus(GrpcStatus.INTERNAL, why + " (HTTP/2 "
          + Http2ErrorCodes.name(code) + ")"));
    }
    output.write(Http2Frames.rstStream(stream.id, code));
  }

  /** A frame that belongs to a stream: never stream 0, never one this client did not open. */
  private void onStreamFrame(Http2Frame frame) throws Http2ProtocolException {
    if (frame.streamId == 0) {
      throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR,
          peer.name() + " sent " + frame + "; it needs a stream");
    }
    if (frame.streamId % 2 == 0 || frame.streamId >= nextStreamId && nextStreamId > 0) {
      throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR, peer.name() + " sent "
          + frame + " for a stream this client never opened");
    }
  }

  private void onConnectionFrame(Http2Frame frame) throws Http2ProtocolException {
    if (frame.streamId != 0) {
      throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR,
          peer.name() + " sent " + frame + "; it belongs to the connection (stream 0)");
    }
  }

  private void requireLength(Http2Frame frame, int length) throws Http2ProtocolException {
    if (frame.payload.length != length) {
      throw new Http2ProtocolException(Http2ErrorCodes.FRAME_SIZE_ERROR, peer.name() + " sent "
          + frame + "; it must be " + length + " bytes");
    }
  }

  private int padding(Http2Frame frame) throws Http2ProtocolException {
    if (frame.payload.length == 0 || (frame.payload[0] & 0xff) >= frame.payload.length) {
      throw new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR, peer.name() + " sent "
          + frame + " with more padding than payload");
    }
    return frame.payload[0] & 0xff;
  }

  private void writeQuietly(byte[] frames) {
    if (closed) {
      return;
    }
    try {
      output.write(frames);
    } catch (IOException e) {
      // the reader thread sees the broken connection and ends every call
    }
  }

  /** A GOAWAY for a connection error this client found, best effort before the socket closes. */
  synchronized void goAwayQuietly(Http2ProtocolException error) {
    writeQuietly(Http2Frames.goAway(0, error.code(), error.getMessage()));
  }

  private static final class Stream {
    final int id;
    final GrpcCall call;
    final byte[] pending;
    int pendingOffset;
    final ReceiveWindow receive = new ReceiveWindow(DEFAULT_WINDOW);
    final SendWindow send;

    Stream(int id, GrpcCall call, byte[] pending, int peerInitialWindow) {
      this.id = id;
      this.call = call;
      this.pending = pending;
      this.send = new SendWindow(peerInitialWindow);
    }
  }
}
