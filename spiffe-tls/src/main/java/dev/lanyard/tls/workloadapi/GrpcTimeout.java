package dev.lanyard.tls.workloadapi;

/** The {@code grpc-timeout} header: at most 8 digits and a unit (gRPC's PROTOCOL-HTTP2.md). */
final class GrpcTimeout {
  private static final long MAX = 99_999_999L;

  private GrpcTimeout() {}

  static String encode(long nanos) {
    if (nanos <= MAX) {
      return Math.max(1, nanos) + "n";
    }
    long micros = nanos / 1_000L;
    if (micros <= MAX) {
      return micros + "u";
    }
    long millis = nanos / 1_000_000L;
    if (millis <= MAX) {
      return millis + "m";
    }
    long seconds = nanos / 1_000_000_000L;
    if (seconds <= MAX) {
      return seconds + "S";
    }
    return Math.min(MAX, seconds / 3600) + "H";
  }
}
