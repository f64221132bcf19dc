package dev.lanyard.tls.workloadapi;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Reads HTTP/2 frames from a byte channel through one buffer. Refuses a frame longer than the
 * SETTINGS_MAX_FRAME_SIZE this client advertised before reading its payload, and a first frame
 * that is not SETTINGS (a server's preface, RFC 9113 section 3.4): that names an HTTP/1 answer.
 */
final class Http2FrameReader {
  private static final int SETTINGS = 0x4;

  private final ReadableByteChannel in;
  private final int maxFrameSize;
  /** Who sends the frames, for the refusals ("the Workload API"). */
  private final String peer;
  /** Until the first frame is read, when it must be the server preface's SETTINGS. */
  private boolean prefaceDue;
  private final ByteBuffer buffer = ByteBuffer.allocate(32 * 1024).flip();
  private final byte[] header = new byte[Http2Frame.HEADER_LENGTH];

  /** Frames from {@code peer}, any first. */
  Http2FrameReader(ReadableByteChannel in, int maxFrameSize, String peer) {
    this(in, maxFrameSize, peer, false);
  }

  private Http2FrameReader(ReadableByteChannel in, int maxFrameSize, String peer,
      boolean prefaceDue) {
    this.in = in;
    this.maxFrameSize = maxFrameSize;
    this.peer = peer;
    this.prefaceDue = prefaceDue;
  }

  /** Frames from the server {@code peer}: the first must be SETTINGS, its connection preface. */
  static Http2FrameReader fromServer(ReadableByteChannel in, int maxFrameSize, String peer) {
    return new Http2FrameReader(in, maxFrameSize, peer, true);
  }

  /** The next frame; null when the peer closed the connection between frames. */
  Http2Frame read() throws IOException, Http2ProtocolException {
    if (!readFully(header, true)) {
      return null;
    }
    int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | header[2] & 0xff;
    int type = header[3] & 0xff;
    int flags = header[4] & 0xff;
    int streamId = ((header[5] & 0x7f) << 24) | (header[6] & 0xff) << 16
        | (header[7] & 0xff) << 8 | header[8] & 0xff;
    if (prefaceDue && type != SETTINGS) {
      throw notHttp2(type);
    }
    prefaceDue = false;
    if (length > maxFrameSize) {
      throw new Http2ProtocolException(Http2ErrorCodes.FRAME_SIZE_ERROR, peer + " sent a "
          + Http2Frame.typeName(type) + " frame of " + length + " bytes; this client's"
          + " SETTINGS_MAX_FRAME_SIZE is " + maxFrameSize);
    }
    byte[] payload = new byte[length];
    readFully(payload, false);
    return new Http2Frame(type, flags, streamId, payload);
  }

  private Http2ProtocolException notHttp2(int type) {
    String text = new String(header, StandardCharsets.ISO_8859_1);
    return new Http2ProtocolException(Http2ErrorCodes.PROTOCOL_ERROR, text.startsWith("HTTP/")
        ? peer + " answered in HTTP/1 (\"" + text.replaceAll("[^\\x20-\\x7e]", "?") + "...\"),"
            + " not HTTP/2; gRPC needs a server that speaks HTTP/2 with prior knowledge (h2c)"
        : peer + " began with a " + Http2Frame.typeName(type) + " frame, not the SETTINGS frame"
            + " an HTTP/2 server begins with");
  }

  /** Fills {@code into}; false only when {@code endAllowed} and the stream ended before a byte. */
  private boolean readFully(byte[] into, boolean endAllowed) throws IOException {
    int at = 0;
    while (at < into.length) {
      if (!buffer.hasRemaining()) {
        buffer.clear();
        int read = in.read(buffer);
        buffer.flip();
        if (read < 0) {
          if (at == 0 && endAllowed) {
            return false;
          }
          throw new EOFException("the connection ended inside an HTTP/2 frame");
        }
        continue;
      }
      int take = Math.min(buffer.remaining(), into.length - at);
      buffer.get(into, at, take);
      at += take;
    }
    return true;
  }
}
