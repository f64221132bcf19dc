package dev.lanyard.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one protocol switch an HTTP mesh port lets through: {@code Upgrade: websocket}. Every other
 * {@code Upgrade} token ({@code h2c} above all: HTTP/2 would carry requests this port cannot
 * label) is removed from the request, which the app then serves as plain HTTP/1.1.
 */
final class Upgrades {
  static final String WEBSOCKET = "websocket";

  private Upgrades() {}

  /** Whether the request asks for a WebSocket upgrade (a token of {@code Upgrade}, any case). */
  static boolean webSocketRequested(HttpHeaders headers) {
    for (String token : tokens(headers, HttpHeaderNames.UPGRADE)) {
      if (token.equalsIgnoreCase(WEBSOCKET)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Removes every {@code Upgrade} token but {@code websocket}; returns the ones removed (for the
   * log). Without a WebSocket request, {@code Upgrade}, {@code HTTP2-Settings} and their names in
   * {@code Connection} go too, so the app sees an ordinary request.
   */
  static List<String> keepOnlyWebSocket(HttpHeaders headers) {
    List<String> removed = new ArrayList<>();
    for (String token : tokens(headers, HttpHeaderNames.UPGRADE)) {
      if (!token.equalsIgnoreCase(WEBSOCKET)) {
        removed.add(token);
      }
    }
    if (removed.isEmpty()) {
      return removed;
    }
    if (webSocketRequested(headers)) {
      headers.set(HttpHeaderNames.UPGRADE, WEBSOCKET);
    } else {
      headers.remove(HttpHeaderNames.UPGRADE);
      headers.remove("HTTP2-Settings");
      List<String> connection = new ArrayList<>();
      for (String token : tokens(headers, HttpHeaderNames.CONNECTION)) {
        String name = token.toLowerCase(Locale.ROOT);
        if (!name.equals("upgrade") && !name.equals("http2-settings")) {
          connection.add(token);
        }
      }
      headers.remove(HttpHeaderNames.CONNECTION);
      if (!connection.isEmpty()) {
        headers.set(HttpHeaderNames.CONNECTION, String.join(", ", connection));
      }
    }
    return removed;
  }

  /** The comma-separated tokens of every line of {@code name}, trimmed, empty ones dropped. */
  private static List<String> tokens(HttpHeaders headers, CharSequence name) {
    if (!headers.contains(name)) {
      // The common case, asked up to three times per request: no list, no copies.
      return List.of();
    }
    List<String> tokens = new ArrayList<>();
    for (String line : headers.getAll(name)) {
      for (String token : line.split(",")) {
        String trimmed = token.trim();
        if (!trimmed.isEmpty()) {
          tokens.add(trimmed);
        }
      }
    }
    return tokens;
  }
}
