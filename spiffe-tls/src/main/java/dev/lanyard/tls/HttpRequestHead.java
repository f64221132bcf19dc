package dev.lanyard.tls;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The request line of an HTTP/1.x request head, which is all the admin and health endpoints need
 * (GET only, no body, headers ignored). Pure, so it is tested and fuzzed as a function.
 */
final class HttpRequestHead {
  final String method;
  final String path;
  /** The raw query after {@code ?}, or null. */
  final String rawQuery;

  private HttpRequestHead(String method, String path, String rawQuery) {
    this.method = method;
    this.path = path;
    this.rawQuery = rawQuery;
  }

  /**
   * Where the head in {@code bytes[0..length)} ends (the index after its blank line), or -1 while
   * it has not ended. A bare LF is accepted as a line end, as RFC 9112 allows a server to.
   */
  static int headEnd(byte[] bytes, int length) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      if (i + 1 < length && bytes[i + 1] == '\n') {
        return i + 2;
      }
      if (i + 2 < length && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
        return i + 3;
      }
    }
    return -1;
  }

  /**
   * The request line of a complete head: {@code METHOD SP /path[?query] SP HTTP/1.0|1.1}; empty
   * when it is anything else (the server answers 400).
   */
  static Optional<HttpRequestHead> parse(byte[] bytes, int length) {
    int lineEnd = 0;
    while (lineEnd < length && bytes[lineEnd] != '\n') {
      lineEnd++;
    }
    int end = lineEnd > 0 && bytes[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
    String line = new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
    String[] parts = line.split(" ", -1);
    if (parts.length != 3 || !isToken(parts[0]) || !isOriginForm(parts[1])
        || !(parts[2].equals("HTTP/1.1") || parts[2].equals("HTTP/1.0"))) {
      return Optional.empty();
    }
    String target = parts[1];
    int question = target.indexOf('?');
    return Optional.of(question < 0
        ? new HttpRequestHead(parts[0], target, null)
        : new HttpRequestHead(parts[0], target.substring(0, question), target.substring(question + 1)));
  }

  /** RFC 9110 token characters. */
  private static boolean isToken(String text) {
    if (text.isEmpty()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok = c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** {@code /} followed by visible ASCII only. */
  private static boolean isOriginForm(String target) {
    if (!target.startsWith("/")) {
      return false;
    }
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= ' ' || c > '~') {
        return false;
      }
    }
    return true;
  }
}
