package dev.lanyard.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code LANYARD_JWT_AUDIENCES}: which outbound hosts get a JWT-SVID, and for which audience. A
 * comma list of {@code host-glob=audience}, e.g. {@code llm.example.com=llm-gateway,*.db.internal=db};
 * the first glob that matches the request's host wins. Globs are those of {@link HostGlobs}.
 */
public final class JwtAudiences {
  public static final JwtAudiences NONE =
      new JwtAudiences(Collections.<String>emptyList(), Collections.<String>emptyList());

  private final List<String> globs;
  private final List<String> audiences;
  private final HostGlobs matcher;

  private JwtAudiences(List<String> globs, List<String> audiences) {
    this.globs = Collections.unmodifiableList(new ArrayList<>(globs));
    this.audiences = Collections.unmodifiableList(new ArrayList<>(audiences));
    this.matcher = HostGlobs.of(globs);
  }

  /** Parses the variable's value; every error names the entry, the rule and an example. */
  public static JwtAudiences parse(String text) {
    List<String> globs = new ArrayList<>();
    List<String> audiences = new ArrayList<>();
    for (String item : CommaList.entries(text)) {
      int equals = item.indexOf('=');
      if (equals < 0) {
        throw new IllegalArgumentException("entry \"" + item + "\" is not host-glob=audience;"
            + " write e.g. llm.example.com=llm-gateway,*.db.internal=db");
      }
      String glob = item.substring(0, equals).trim().toLowerCase(Locale.ROOT);
      String audience = item.substring(equals + 1).trim();
      if (!HostGlobs.isValidGlob(glob)) {
        throw new IllegalArgumentException("host glob \"" + item.substring(0, equals).trim()
            + "\" in entry \"" + item + "\" is not a host name glob: use letters, digits, dots,"
            + " dashes and * (any characters), e.g. *.example.com=my-audience");
      }
      try {
        audiences.add(checkAudience(audience));
      } catch (IllegalArgumentException e) {
        // With several entries, "audience \"\"" alone does not say which one to fix.
        throw new IllegalArgumentException("entry \"" + item + "\": " + e.getMessage(), e);
      }
      globs.add(glob);
    }
    return globs.isEmpty() ? NONE : new JwtAudiences(globs, audiences);
  }

  /**
   * An audience is one non-empty token without spaces, commas or {@code =} (it becomes the JWT's
   * {@code aud} claim and the Workload API request's audience).
   */
  public static String checkAudience(String audience) {
    String value = audience.trim();
    if (value.isEmpty() || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ','
        && c != '=')) {
      throw new IllegalArgumentException("audience \"" + audience + "\" must be one word of"
          + " printable ASCII without spaces, commas or '=', e.g. llm-gateway or"
          + " spiffe://example.org/llm-gateway");
    }
    return value;
  }

  /** The audience for {@code host}, with the glob that chose it; empty when no glob matches. */
  public Optional<Match> match(String host) {
    Optional<String> glob = matcher.match(host);
    if (!glob.isPresent()) {
      return Optional.empty();
    }
    return Optional.of(new Match(glob.get(), audiences.get(globs.indexOf(glob.get()))));
  }

  public boolean isEmpty() {
    return globs.isEmpty();
  }

  /** The audiences in order (duplicates possible when several globs share one). */
  public List<String> audiences() {
    return audiences;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < globs.size(); i++) {
      out.append(i == 0 ? "" : ",").append(globs.get(i)).append('=').append(audiences.get(i));
    }
    return out.toString();
  }

  /** A matching glob and its audience. */
  public static final class Match {
    private final String glob;
    private final String audience;

    Match(String glob, String audience) {
      this.glob = glob;
      this.audience = audience;
    }

    public String glob() {
      return glob;
    }

    public String audience() {
      return audience;
    }
  }
}
