package dev.lanyard.tls.workloadapi;

/**
 * A connection error (RFC 9113 section 5.4.1): the peer broke HTTP/2, the connection ends with a
 * GOAWAY carrying {@link #code()}, and every call on it fails.
 */
final class Http2ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  private final long code;

  Http2ProtocolException(long code, String message) {
    super(Http2ErrorCodes.name(code) + ": " + message);
    this.code = code;
  }

  long code() {
    return code;
  }
}
