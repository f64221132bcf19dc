package dev.lanyard.tls.workloadapi;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads HTTP/2 frames from a byte channel through one buffer. Refuses a frame longer than the
 * SETTINGS_MAX_FRAME_SIZE this client advertised before reading its payload.
 */
final class Http2FrameReader {
  private final ReadableByteChannel in;
  private final int maxFrameSize;
  private final ByteBuffer buffer = ByteBuffer.allocate(32 * 1024).flip();
  private final byte[] header = new byte[Http2Frame.HEADER_LENGTH];

  Http2FrameReader(ReadableByteChannel in, int maxFrameSize) {
    this.in = in;
    this.maxFrameSize = maxFrameSize;
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
    if (length > maxFrameSize) {
      throw new Http2ProtocolException(Http2ErrorCodes.FRAME_SIZE_ERROR, "the Workload API sent a "
          + Http2Frame.typeName(type) + " frame of " + length + " bytes; this client's"
          + " SETTINGS_MAX_FRAME_SIZE is " + maxFrameSize);
    }
    byte[] payload = new byte[length];
    readFully(payload, false);
    return new Http2Frame(type, flags, streamId, payload);
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
