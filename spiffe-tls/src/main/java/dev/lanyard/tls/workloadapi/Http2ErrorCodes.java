package dev.lanyard.tls.workloadapi;

/** HTTP/2's error codes (RFC 9113 section 7), for RST_STREAM and GOAWAY, and their names. */
final class Http2ErrorCodes {
  static final long NO_ERROR = 0x0;
  static final long PROTOCOL_ERROR = 0x1;
  static final long INTERNAL_ERROR = 0x2;
  static final long FLOW_CONTROL_ERROR = 0x3;
  static final long STREAM_CLOSED = 0x5;
  static final long FRAME_SIZE_ERROR = 0x6;
  static final long REFUSED_STREAM = 0x7;
  static final long CANCEL = 0x8;
  static final long COMPRESSION_ERROR = 0x9;
  static final long ENHANCE_YOUR_CALM = 0xb;

  private static final String[] NAMES = {"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
      "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR",
      "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
      "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};

  private Http2ErrorCodes() {}

  static String name(long code) {
    return code >= 0 && code < NAMES.length ? NAMES[(int) code] : "error " + code;
  }

  /** gRPC's mapping of a stream reset to a status (its PROTOCOL-HTTP2.md). */
  static int grpcStatusOfReset(long code) {
    if (code == REFUSED_STREAM) {
      return GrpcStatus.UNAVAILABLE;
    }
    if (code == CANCEL) {
      return GrpcStatus.CANCELLED;
    }
    if (code == ENHANCE_YOUR_CALM) {
      return GrpcStatus.RESOURCE_EXHAUSTED;
    }
    return GrpcStatus.INTERNAL;
  }
}
