package dev.lanyard.proxy;

import dev.lanyard.tls.MeshDestinations;
import java.util.Locale;
import java.util.Optional;

/**
 * What the forward proxy makes of one request line, as data (a pure function, fuzzed by tests):
 *
 * <ul>
 *   <li>{@code http://host[:port]/path} to a mesh destination ({@link MeshDestinations}: {@code
 *       LANYARD_MESH_HOSTS}, single- and two-label names such as {@code orders} and {@code
 *       orders.prod}, cluster IPs): {@link Kind#MESH}, upgraded to mTLS in origin form, never
 *       sent in clear text. The mesh is chosen by name, never by probing whether the server
 *       happens to present an SVID, so the decision is known before any byte leaves and a
 *       non-mesh server cannot turn a request into a mesh one or back.
 *   <li>the same to any other host: {@link Kind#PLAIN}, forwarded as plain HTTP, exactly what the
 *       app would have sent without the sidecar (egress to public plain-HTTP services keeps
 *       working; it gets no identity and no JWT-SVID).
 *   <li>{@code CONNECT host:port} to a non-mesh host: {@link Kind#TUNNEL} (public HTTPS egress).
 *       To a mesh host: refused with 403, because a tunnel would carry the app's own TLS (or
 *       plaintext) past the sidecar's mTLS and policy.
 *   <li>anything else: refused with 400 and a sentence saying what to send instead.
 * </ul>
 */
record ProxyRequest(Kind kind, HostAndPort destination, String originForm, int status, String reason) {
  enum Kind { MESH, PLAIN, TUNNEL, REFUSED }

  static ProxyRequest parse(String method, String uri, MeshDestinations destinations) {
    if (method == null || uri == null) {
      return refused(400, "the request has no method or target");
    }
    if (method.equals("CONNECT")) {
      return connect(uri, destinations);
    }
    if (uri.startsWith("/") || uri.equals("*")) {
      return refused(400, "\"" + printable(uri) + "\" is origin-form, but this is a forward proxy:"
          + " send absolute-form requests such as GET http://host:port/path (set HTTP_PROXY=http://"
          + SidecarConfig.DEFAULT_OUTBOUND_PROXY + ")");
    }
    String lower = uri.toLowerCase(Locale.ROOT);
    if (lower.startsWith("https://")) {
      return refused(400, "absolute https:// requests are not proxied: use CONNECT (HTTPS_PROXY) for"
          + " public HTTPS, or http:// for a mesh destination (the sidecar adds mTLS)");
    }
    if (!lower.startsWith("http://")) {
      return refused(400, "request target \"" + printable(uri) + "\" is not http://host[:port]/path");
    }
    String rest = uri.substring("http://".length());
    int end = firstOf(rest, "/?#");
    String authority = rest.substring(0, end);
    String path = rest.substring(end);
    int fragment = path.indexOf('#');
    if (fragment >= 0) {
      path = path.substring(0, fragment);
    }
    if (path.isEmpty() || path.startsWith("?")) {
      path = "/" + path;
    }
    if (authority.indexOf('@') >= 0) {
      return refused(400, "request target carries user info (user@host); put credentials in"
          + " headers, not in the proxy URL's host part");
    }
    Optional<HostAndPort> destination = authority(authority, 80);
    if (destination.isEmpty()) {
      return refused(400, "\"" + printable(authority) + "\" is not a valid host[:port]");
    }
    if (!validPath(path)) {
      return refused(400, "the path of \"" + printable(uri) + "\" has characters not allowed in a URI");
    }
    Kind kind = destinations.classify(destination.get().host()).mesh() ? Kind.MESH : Kind.PLAIN;
    return new ProxyRequest(kind, destination.get(), path, 200, null);
  }

  private static ProxyRequest connect(String uri, MeshDestinations destinations) {
    Optional<HostAndPort> destination = uri.indexOf(':') < 0 ? Optional.empty() : authority(uri, -1);
    if (destination.isEmpty()) {
      return refused(400, "CONNECT target \"" + printable(uri) + "\" is not host:port");
    }
    MeshDestinations.Destination mesh = destinations.classify(destination.get().host());
    if (mesh.mesh()) {
      return refused(403, "CONNECT to mesh host " + destination.get() + " refused: "
          + mesh.reason() + " (" + mesh.rule() + "), and a tunnel would bypass mTLS;"
          + " send plain http://" + destination.get() + "/... through this proxy instead");
    }
    return new ProxyRequest(Kind.TUNNEL, destination.get(), null, 200, null);
  }

  /** {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}; host names by RFC 1123 letters. */
  static Optional<HostAndPort> authority(String text, int defaultPort) {
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        return Optional.empty();
      }
      host = text.substring(1, close);
      String after = text.substring(close + 1);
      if (!after.isEmpty() && !after.startsWith(":")) {
        return Optional.empty();
      }
      port = after.isEmpty() ? null : after.substring(1);
      if (host.isEmpty() || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
        return Optional.empty();
      }
    } else {
      int colon = text.indexOf(':');
      host = colon < 0 ? text : text.substring(0, colon);
      port = colon < 0 ? null : text.substring(colon + 1);
      if (host.isEmpty() || host.length() > 253 || !host.chars().allMatch(ProxyRequest::hostChar)) {
        return Optional.empty();
      }
    }
    int number = defaultPort;
    if (port != null) {
      if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
        return Optional.empty();
      }
      number = Integer.parseInt(port);
    }
    if (number < 1 || number > 65535) {
      return Optional.empty();
    }
    return Optional.of(new HostAndPort(host.toLowerCase(Locale.ROOT), number));
  }

  private static boolean hostChar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_';
  }

  /** RFC 3986 path and query characters, plus '%' escapes (not decoded: passed on as sent). */
  private static boolean validPath(String path) {
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-._~!$&'()*+,;=:@/?%[]".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static int firstOf(String text, String characters) {
    for (int i = 0; i < text.length(); i++) {
      if (characters.indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
    return text.length();
  }

  /** The client's text, shortened and with control characters shown, for a safe error message. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < 200; i++) {
      char c = text.charAt(i);
      out.append(c < 0x20 || c >= 0x7f ? '?' : c);
    }
    return text.length() > 200 ? out + "..." : out.toString();
  }

  private static ProxyRequest refused(int status, String reason) {
    return new ProxyRequest(Kind.REFUSED, null, null, status, "lanyard: " + reason);
  }
}
