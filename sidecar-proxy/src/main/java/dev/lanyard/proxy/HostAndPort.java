package dev.lanyard.proxy;

import java.net.InetSocketAddress;

/** A destination as the operator or the client wrote it: host name (or literal) and port. */
record HostAndPort(String host, int port) {
  HostAndPort {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("empty host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not in 1-65535");
    }
  }

  /**
   * Parses {@code host:port} ({@code [v6]:port} for IPv6 literals).
   *
   * @throws IllegalArgumentException naming the text and the expected shape
   */
  static HostAndPort parse(String text) {
    String trimmed = text.trim();
    int colon = trimmed.lastIndexOf(':');
    if (colon <= 0 || colon == trimmed.length() - 1) {
      throw new IllegalArgumentException("\"" + text + "\" is not host:port");
    }
    String host = trimmed.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException("\"" + text + "\" is not host:port (write IPv6 as [addr]:port)");
    }
    int port;
    try {
      port = Integer.parseInt(trimmed.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + text + "\" has no numeric port");
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new IllegalArgumentException("\"" + text + "\" is not host:port with a port in 1-65535");
    }
    return new HostAndPort(host, port);
  }

  /** Unresolved: the event loop's resolver looks the name up when connecting. */
  InetSocketAddress toAddress() {
    return InetSocketAddress.createUnresolved(host, port);
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
