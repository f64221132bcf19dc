package dev.lanyard.webhook.inject;

import java.util.regex.Pattern;

/**
 * One SPIFFE ID pattern of {@code lanyard.dev/allowed-peers}, parsed only so that the webhook can
 * tell whether one pattern lies within another (the operator's ceiling).
 *
 * <p>The twin of {@code dev.lanyard.tls.SpiffeIdPattern} in spiffe-tls, which is what the javaagent
 * and the sidecar match peers with: the same three shapes (an exact ID, {@code /*} for exactly one
 * more segment, {@code /**} for one or more; {@code spiffe://td/**} the whole trust domain) and
 * the same grammar. It is a twin rather than a use because spiffe-tls brings gRPC into the webhook;
 * change both together ({@code PeerPatternTest} lists the shapes both must agree on).
 */
public final class PeerPattern {
  private enum Shape {
    EXACT,
    ONE_SEGMENT,
    ANY_DEPTH
  }

  private static final String SCHEME = "spiffe://";
  // java-spiffe's grammar: a trust domain of lower-case letters, digits, '.', '-', '_'; path
  // segments of letters, digits, '.', '-', '_', never empty, "." or "..".
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");
  private static final Pattern SEGMENT = Pattern.compile("[a-zA-Z0-9._-]+");

  private final String text;
  private final Shape shape;
  private final String trustDomain;

  /** For EXACT the whole path; otherwise the path before the wildcard ("" for the whole domain). */
  private final String path;

  private PeerPattern(String text, Shape shape, String trustDomain, String path) {
    this.text = text;
    this.shape = shape;
    this.trustDomain = trustDomain;
    this.path = path;
  }

  /**
   * Parses one pattern (surrounding blanks ignored).
   *
   * @throws IllegalArgumentException naming the value and the rule it breaks
   */
  public static PeerPattern parse(String text) {
    String value = text.trim();
    if (!value.startsWith(SCHEME)) {
      throw invalid(value, "it must start with spiffe://");
    }
    Shape shape = Shape.EXACT;
    String base = value;
    if (value.endsWith("/**")) {
      shape = Shape.ANY_DEPTH;
      base = value.substring(0, value.length() - 3);
    } else if (value.endsWith("/*")) {
      shape = Shape.ONE_SEGMENT;
      base = value.substring(0, value.length() - 2);
    }
    if (!base.startsWith(SCHEME)) {
      throw invalid(value, "it has no trust domain (wildcards never stand for a trust domain)");
    }
    if (base.indexOf('*') >= 0) {
      throw invalid(
          value,
          "a wildcard may only be the whole last segment (/* for one segment, /** for any depth)");
    }
    int slash = base.indexOf('/', SCHEME.length());
    String domain = slash < 0 ? base.substring(SCHEME.length()) : base.substring(SCHEME.length(), slash);
    String path = slash < 0 ? "" : base.substring(slash);
    if (domain.isEmpty()) {
      throw invalid(value, "it has no trust domain (wildcards never stand for a trust domain)");
    }
    if (!TRUST_DOMAIN.matcher(domain).matches()) {
      throw invalid(
          value,
          "trust domain \""
              + domain
              + "\" may hold only lower-case letters, digits, '.', '-' and '_'");
    }
    if (!path.isEmpty()) {
      for (String segment : path.substring(1).split("/", -1)) {
        if (segment.equals(".") || segment.equals("..") || !SEGMENT.matcher(segment).matches()) {
          throw invalid(
              value,
              "path segment \""
                  + segment
                  + "\" must be non-empty letters, digits, '.', '-' or '_' (not . or ..)");
        }
      }
    }
    return new PeerPattern(value, shape, domain, path);
  }

  private static IllegalArgumentException invalid(String value, String rule) {
    return new IllegalArgumentException(
        "\""
            + value
            + "\" is not a SPIFFE ID pattern: "
            + rule
            + "; write an exact ID, /* for one segment or /** for any depth, e.g."
            + " spiffe://example.org/ns/prod/sa/api, spiffe://example.org/ns/prod/*,"
            + " spiffe://example.org/**");
  }

  /** Whether every SPIFFE ID this pattern matches is also matched by {@code outer}. */
  public boolean isWithin(PeerPattern outer) {
    if (!trustDomain.equals(outer.trustDomain)) {
      return false;
    }
    switch (outer.shape) {
      case EXACT:
        return shape == Shape.EXACT && path.equals(outer.path);
      case ONE_SEGMENT:
        // outer matches exactly outer.path/<one segment>: an exact ID of that form, or the same
        // one-segment pattern; anything deeper or wider escapes it.
        if (shape == Shape.EXACT) {
          return path.startsWith(outer.path + "/")
              && path.indexOf('/', outer.path.length() + 1) < 0;
        }
        return shape == Shape.ONE_SEGMENT && path.equals(outer.path);
      default:
        if (outer.path.isEmpty()) {
          return true; // spiffe://td/** matches every ID of the trust domain
        }
        if (shape == Shape.EXACT) {
          return path.startsWith(outer.path + "/");
        }
        // Both wildcards match only below their base path, so a base at or below outer's will do.
        return path.equals(outer.path) || path.startsWith(outer.path + "/");
    }
  }

  /** The pattern as written (without surrounding blanks). */
  @Override
  public String toString() {
    return text;
  }
}
