package dev.lanyard.tls.workloadapi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Encodes the frames this client sends, each as the bytes to write (RFC 9113 section 6). */
final class Http2Frames {
  /** The client connection preface (RFC 9113 section 3.4). */
  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  static final int SETTINGS_HEADER_TABLE_SIZE = 0x1;
  static final int SETTINGS_ENABLE_PUSH = 0x2;
  static final int SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
  static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
  static final int SETTINGS_MAX_FRAME_SIZE = 0x5;
  static final int SETTINGS_MAX_HEADER_LIST_SIZE = 0x6;

  private Http2Frames() {}

  static byte[] frame(int type, int flags, int streamId, byte[] payload, int offset, int length) {
    byte[] frame = new byte[Http2Frame.HEADER_LENGTH + length];
    frame[0] = (byte) (length >>> 16);
    frame[1] = (byte) (length >>> 8);
    frame[2] = (byte) length;
    frame[3] = (byte) type;
    frame[4] = (byte) flags;
    putInt(frame, 5, streamId & 0x7fff_ffff);
    System.arraycopy(payload, offset, frame, Http2Frame.HEADER_LENGTH, length);
    return frame;
  }

  /** SETTINGS with {@code idsAndValues} (id, value, id, value, ...). */
  static byte[] settings(long... idsAndValues) {
    byte[] payload = new byte[idsAndValues.length * 3];
    for (int i = 0, at = 0; i < idsAndValues.length; i += 2, at += 6) {
      payload[at] = (byte) (idsAndValues[i] >>> 8);
      payload[at + 1] = (byte) idsAndValues[i];
      putInt(payload, at + 2, (int) idsAndValues[i + 1]);
    }
    return frame(Http2Frame.SETTINGS, 0, 0, payload, 0, payload.length);
  }

  static byte[] settingsAck() {
    return frame(Http2Frame.SETTINGS, Http2Frame.FLAG_ACK, 0, new byte[0], 0, 0);
  }

  static byte[] pingAck(byte[] opaque) {
    return frame(Http2Frame.PING, Http2Frame.FLAG_ACK, 0, opaque, 0, opaque.length);
  }

  static byte[] windowUpdate(int streamId, int increment) {
    byte[] payload = new byte[4];
    putInt(payload, 0, increment);
    return frame(Http2Frame.WINDOW_UPDATE, 0, streamId, payload, 0, 4);
  }

  static byte[] rstStream(int streamId, long errorCode) {
    byte[] payload = new byte[4];
    putInt(payload, 0, (int) errorCode);
    return frame(Http2Frame.RST_STREAM, 0, streamId, payload, 0, 4);
  }

  static byte[] goAway(int lastStreamId, long errorCode, String debug) {
    byte[] text = debug.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[8 + text.length];
    putInt(payload, 0, lastStreamId);
    putInt(payload, 4, (int) errorCode);
    System.arraycopy(text, 0, payload, 8, text.length);
    return frame(Http2Frame.GOAWAY, 0, 0, payload, 0, payload.length);
  }

  static byte[] data(int streamId, byte[] bytes, int offset, int length, boolean endStream) {
    return frame(Http2Frame.DATA, endStream ? Http2Frame.FLAG_END_STREAM : 0, streamId, bytes,
        offset, length);
  }

  /** HEADERS, then CONTINUATION frames as needed, none longer than {@code maxFrameSize}. */
  static byte[] headers(int streamId, byte[] block, boolean endStream, int maxFrameSize) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(block.length + 2 * Http2Frame.HEADER_LENGTH);
    int at = 0;
    boolean first = true;
    do {
      int length = Math.min(maxFrameSize, block.length - at);
      boolean last = at + length == block.length;
      int flags = (last ? Http2Frame.FLAG_END_HEADERS : 0)
          | (first && endStream ? Http2Frame.FLAG_END_STREAM : 0);
      out.writeBytes(frame(first ? Http2Frame.HEADERS : Http2Frame.CONTINUATION, flags, streamId,
          block, at, length));
      at += length;
      first = false;
    } while (at < block.length);
    return out.toByteArray();
  }

  private static void putInt(byte[] into, int at, int value) {
    into[at] = (byte) (value >>> 24);
    into[at + 1] = (byte) (value >>> 16);
    into[at + 2] = (byte) (value >>> 8);
    into[at + 3] = (byte) value;
  }
}
