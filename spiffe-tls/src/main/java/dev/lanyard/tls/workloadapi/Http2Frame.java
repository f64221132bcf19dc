package dev.lanyard.tls.workloadapi;

/**
 * One HTTP/2 frame as read (RFC 9113 section 4.1): type, flags, stream and the whole payload. The
 * type and flag numbers this client knows are here, once.
 */
final class Http2Frame {
  static final int HEADER_LENGTH = 9;

  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int PRIORITY = 0x2;
  static final int RST_STREAM = 0x3;
  static final int SETTINGS = 0x4;
  static final int PUSH_PROMISE = 0x5;
  static final int PING = 0x6;
  static final int GOAWAY = 0x7;
  static final int WINDOW_UPDATE = 0x8;
  static final int CONTINUATION = 0x9;

  static final int FLAG_END_STREAM = 0x1;
  static final int FLAG_ACK = 0x1;
  static final int FLAG_END_HEADERS = 0x4;
  static final int FLAG_PADDED = 0x8;
  static final int FLAG_PRIORITY = 0x20;

  private static final String[] NAMES = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
      "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"};

  final int type;
  final int flags;
  final int streamId;
  final byte[] payload;

  Http2Frame(int type, int flags, int streamId, byte[] payload) {
    this.type = type;
    this.flags = flags;
    this.streamId = streamId;
    this.payload = payload;
  }

  boolean has(int flag) {
    return (flags & flag) != 0;
  }

  /** A 31-bit big-endian number at {@code at} (the reserved top bit cleared). */
  int int31(int at) {
    return (int) (uint32(at) & 0x7fff_ffffL);
  }

  long uint32(int at) {
    return (payload[at] & 0xffL) << 24 | (payload[at + 1] & 0xff) << 16
        | (payload[at + 2] & 0xff) << 8 | payload[at + 3] & 0xff;
  }

  static String typeName(int type) {
    return type >= 0 && type < NAMES.length ? NAMES[type] : "frame type 0x" + Integer.toHexString(type);
  }

  @Override
  public String toString() {
    return typeName(type) + " stream " + streamId + " flags 0x" + Integer.toHexString(flags)
        + " length " + payload.length;
  }
}
