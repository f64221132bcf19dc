package dev.lanyard.tls.workloadapi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A gRPC status: its code's name and the server's description, printed as gRPC prints it
 * ({@code "PERMISSION_DENIED: no identity issued"}), which is what Lanyard logs and reports as
 * {@code last_error}.
 */
public final class GrpcStatus {
  /** The codes of the gRPC protocol, by number (doc/statuscodes.md in the gRPC repository). */
  private static final String[] CODES = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"
  };
  public static final int OK = 0;
  public static final int CANCELLED = 1;
  public static final int UNKNOWN = 2;
  public static final int DEADLINE_EXCEEDED = 4;
  public static final int NOT_FOUND = 5;
  public static final int PERMISSION_DENIED = 7;
  public static final int RESOURCE_EXHAUSTED = 8;
  public static final int UNIMPLEMENTED = 12;
  public static final int INTERNAL = 13;
  public static final int UNAVAILABLE = 14;

  private final int code;
  private final String description;

  public GrpcStatus(int code, String description) {
    this.code = code;
    this.description = description;
  }

  /**
   * The status a response's trailers carry: {@code grpc-status} (absent or not a number is
   * {@code UNKNOWN}, as gRPC reads it) and {@code grpc-message}, percent-decoded.
   */
  public static GrpcStatus fromTrailers(CharSequence status, CharSequence message) {
    String description = message == null ? null : percentDecode(message.toString());
    if (status == null) {
      return new GrpcStatus(UNKNOWN, "the response has no grpc-status"
          + (description == null ? "" : " (grpc-message: " + description + ")"));
    }
    int code;
    try {
      code = Integer.parseInt(status.toString());
    } catch (NumberFormatException e) {
      return new GrpcStatus(UNKNOWN, "grpc-status \"" + status + "\" is not a number");
    }
    return new GrpcStatus(code, description);
  }

  public int code() {
    return code;
  }

  public boolean isOk() {
    return code == OK;
  }

  /** The code's name ({@code PERMISSION_DENIED}), or {@code CODE_<n>} for one gRPC does not define. */
  public String codeName() {
    return code >= 0 && code < CODES.length ? CODES[code] : "CODE_" + code;
  }

  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return description == null || description.isEmpty()
        ? codeName() : codeName() + ": " + description;
  }

  /** gRPC percent-encodes grpc-message (its PROTOCOL-HTTP2.md); a bad escape stays as it is. */
  static String percentDecode(String value) {
    if (value.indexOf('%') < 0) {
      return value;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length());
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '%' && i + 2 < bytes.length) {
        int high = Character.digit(bytes[i + 1], 16);
        int low = Character.digit(bytes[i + 2], 16);
        if (high >= 0 && low >= 0) {
          out.write(high << 4 | low);
          i += 2;
          continue;
        }
      }
      out.write(bytes[i]);
    }
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }
}
