package dev.lanyard.tls;

import io.spiffe.exception.InvalidSpiffeIdException;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;

/**
 * One entry of {@code LANYARD_ALLOWED_PEERS}. Three shapes, nothing else:
 *
 * <ul>
 *   <li>{@code spiffe://td/ns/prod/sa/api}: exactly this ID;
 *   <li>{@code spiffe://td/ns/prod/*}: exactly one more path segment ({@code .../ns/prod/x}, not
 *       {@code .../ns/prod/x/y});
 *   <li>{@code spiffe://td/ns/prod/**}: one or more segments below {@code /ns/prod}; {@code
 *       spiffe://td/**} is the whole trust domain.
 * </ul>
 *
 * A wildcard is only ever a whole last segment; a trust domain is never a wildcard (accepting
 * "any trust domain" is exactly the accept-all Lanyard refuses to offer).
 */
public final class SpiffeIdPattern {
  private enum Shape { EXACT, ONE_SEGMENT, ANY_DEPTH }

  private static final String EXAMPLES = "e.g. spiffe://example.org/ns/prod/sa/api,"
      + " spiffe://example.org/ns/prod/*, spiffe://example.org/**";

  private final String text;
  private final Shape shape;
  private final TrustDomain trustDomain;
  /** For EXACT the whole path; otherwise the path before the wildcard ("" for the whole domain). */
  private final String path;

  private SpiffeIdPattern(String text, Shape shape, TrustDomain trustDomain, String path) {
    this.text = text;
    this.shape = shape;
    this.trustDomain = trustDomain;
    this.path = path;
  }

  /** Parses one pattern; the error names the value, the rule and a fix. */
  public static SpiffeIdPattern parse(String text) {
    return parse(text, "allowed peer", ConfigKeys.ALLOWED_PEERS);
  }

  /** As {@link #parse(String)}; errors call the value {@code what} in {@code key}. */
  static SpiffeIdPattern parse(String text, String what, ConfigKey key) {
    String value = text.trim();
    if (!value.startsWith("spiffe://")) {
      throw invalid(what, key, value, "it must start with spiffe://");
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
    if (!base.startsWith("spiffe://")) {
      throw invalid(what, key, value,
          "it has no trust domain (wildcards never stand for a trust domain)");
    }
    if (base.indexOf('*') >= 0) {
      throw invalid(what, key, value,
          "a wildcard may only be the whole last segment (/* for one segment, /** for any depth)");
    }
    int slash = base.indexOf('/', "spiffe://".length());
    String domain = slash < 0 ? base.substring("spiffe://".length())
        : base.substring("spiffe://".length(), slash);
    String path = slash < 0 ? "" : base.substring(slash);
    if (domain.isEmpty()) {
      throw invalid(what, key, value,
          "it has no trust domain (wildcards never stand for a trust domain)");
    }
    try {
      TrustDomain trustDomain = TrustDomain.parse(domain);
      if (shape == Shape.EXACT) {
        // Let java-spiffe apply the SPIFFE ID grammar (segments, characters, no trailing slash).
        SpiffeId.parse(value);
      } else if (!path.isEmpty()) {
        SpiffeId.validatePath(path);
      }
      return new SpiffeIdPattern(value, shape, trustDomain, path);
    } catch (IllegalArgumentException | InvalidSpiffeIdException e) {
      throw invalid(what, key, value, "it is not a valid SPIFFE ID (" + e.getMessage() + ")");
    }
  }

  private static IllegalArgumentException invalid(String what, ConfigKey key, String value,
      String rule) {
    return new IllegalArgumentException(what + " \"" + value + "\" in "
        + key.env() + " is not a SPIFFE ID pattern: " + rule
        + "; write an exact ID, /* for one segment or /** for any depth, " + EXAMPLES);
  }

  public boolean matches(SpiffeId id) {
    if (!id.getTrustDomain().equals(trustDomain)) {
      return false;
    }
    String idPath = id.getPath();
    switch (shape) {
      case EXACT:
        return idPath.equals(path);
      case ONE_SEGMENT:
        return idPath.startsWith(path + "/")
            && idPath.indexOf('/', path.length() + 1) < 0
            && idPath.length() > path.length() + 1;
      default:
        return path.isEmpty() || idPath.startsWith(path + "/");
    }
  }

  public TrustDomain trustDomain() {
    return trustDomain;
  }

  /** The pattern as written. */
  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SpiffeIdPattern && ((SpiffeIdPattern) other).text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
