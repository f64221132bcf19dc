package dev.lanyard.config;

import java.util.regex.Pattern;

/**
 * One entry of {@code LANYARD_ALLOWED_PEERS} (and of the operator's ceiling, and the ID side of
 * {@code LANYARD_SERVER_IDS}). Three shapes, nothing else:
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
 * "any trust domain" is exactly the accept-all Lanyard refuses to offer). The grammar of the ID
 * itself is the SPIFFE standard's, as java-spiffe applies it (spiffe-tls's {@code
 * SpiffeIdGrammarTest} holds the two together); written here so that the webhook, which has no
 * java-spiffe, judges a pattern exactly as the workload will.
 */
public final class SpiffeIdPattern {
  private enum Shape { EXACT, ONE_SEGMENT, ANY_DEPTH }

  private static final String SCHEME = "spiffe://";
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");
  private static final Pattern SEGMENT = Pattern.compile("[a-zA-Z0-9._-]+");
  private static final String EXAMPLES = "e.g. spiffe://example.org/ns/prod/sa/api,"
      + " spiffe://example.org/ns/prod/*, spiffe://example.org/**";

  private final String text;
  private final Shape shape;
  private final String trustDomain;
  /** For EXACT the whole path; otherwise the path before the wildcard ("" for the whole domain). */
  private final String path;

  private SpiffeIdPattern(String text, Shape shape, String trustDomain, String path) {
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
  public static SpiffeIdPattern parse(String text, String what, ConfigKey key) {
    return parse(text, what, key.env());
  }

  /**
   * As {@link #parse(String)}; errors call the value {@code what} in {@code where} (e.g. "entry"
   * in "ceiling.allowedPeers").
   */
  public static SpiffeIdPattern parse(String text, String what, String where) {
    String value = text.trim();
    if (!value.startsWith(SCHEME)) {
      throw invalid(what, where, value, "it must start with spiffe://");
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
      throw invalid(what, where, value,
          "it has no trust domain (wildcards never stand for a trust domain)");
    }
    if (base.indexOf('*') >= 0) {
      throw invalid(what, where, value,
          "a wildcard may only be the whole last segment (/* for one segment, /** for any depth)");
    }
    int slash = base.indexOf('/', SCHEME.length());
    String domain = slash < 0 ? base.substring(SCHEME.length())
        : base.substring(SCHEME.length(), slash);
    String path = slash < 0 ? "" : base.substring(slash);
    if (domain.isEmpty()) {
      throw invalid(what, where, value,
          "it has no trust domain (wildcards never stand for a trust domain)");
    }
    if (!TRUST_DOMAIN.matcher(domain).matches()) {
      throw invalid(what, where, value, "it is not a valid SPIFFE ID (trust domain \"" + domain
          + "\" may hold only lowercase letters, digits, '.', '-' and '_')");
    }
    if (!path.isEmpty()) {
      for (String segment : path.substring(1).split("/", -1)) {
        if (segment.isEmpty()) {
          throw invalid(what, where, value, "it is not a valid SPIFFE ID (the path has empty"
              + " segments or a trailing slash)");
        }
        if (segment.equals(".") || segment.equals("..") || !SEGMENT.matcher(segment).matches()) {
          throw invalid(what, where, value, "it is not a valid SPIFFE ID (path segment \"" + segment
              + "\" may hold only letters, digits, '.', '-' and '_', and is not . or ..)");
        }
      }
    }
    return new SpiffeIdPattern(value, shape, domain, path);
  }

  private static IllegalArgumentException invalid(String what, String where, String value,
      String rule) {
    return new IllegalArgumentException(what + " \"" + value + "\" in "
        + where + " is not a SPIFFE ID pattern: " + rule
        + "; write an exact ID, /* for one segment or /** for any depth, " + EXAMPLES);
  }

  /** Whether the SPIFFE ID {@code id} (a valid one, as a certificate carries it) matches. */
  public boolean matches(String id) {
    if (id == null || !id.startsWith(SCHEME)) {
      return false;
    }
    int slash = id.indexOf('/', SCHEME.length());
    String idDomain = slash < 0 ? id.substring(SCHEME.length()) : id.substring(SCHEME.length(), slash);
    String idPath = slash < 0 ? "" : id.substring(slash);
    if (!idDomain.equals(trustDomain)) {
      return false;
    }
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

  /** Whether every SPIFFE ID this pattern matches is also matched by {@code outer} (the ceiling). */
  public boolean isWithin(SpiffeIdPattern outer) {
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

  /** The trust domain's name, e.g. {@code example.org}. */
  public String trustDomain() {
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
