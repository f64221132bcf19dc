package dev.lanyard.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A list of host name globs such as {@code *.svc.cluster.local}. {@code *} matches any run of
 * characters, dots included, so {@code *.cluster.local} covers {@code api.prod.svc.cluster.local}.
 * Matching ignores case and a trailing dot (a fully qualified name).
 */
public final class HostGlobs {
  /** Lanyard's default mesh-only hosts: Kubernetes service names. */
  public static final String DEFAULT_MESH_HOSTS = "*.svc,*.svc.cluster.local,*.cluster.local";

  public static final HostGlobs NONE = new HostGlobs(Collections.<String>emptyList());

  private static final Pattern VALID = Pattern.compile("[a-z0-9*]([a-z0-9*.-]*[a-z0-9*])?");

  private final List<String> globs;
  private final List<Pattern> patterns;

  private HostGlobs(List<String> globs) {
    this.globs = Collections.unmodifiableList(new ArrayList<>(globs));
    List<Pattern> compiled = new ArrayList<>();
    for (String glob : globs) {
      StringBuilder regex = new StringBuilder();
      for (String literal : glob.split("\\*", -1)) {
        if (regex.length() > 0) {
          regex.append(".*");
        }
        regex.append(Pattern.quote(literal));
      }
      compiled.add(Pattern.compile(regex.toString()));
    }
    this.patterns = compiled;
  }

  /**
   * Parses a comma list; {@code none} (alone, empty entries aside) or an empty text gives the empty
   * list. {@code none} next to globs is refused: it would otherwise be a host named "none", shown
   * back as "none", which reads as "rule disabled".
   */
  public static HostGlobs parse(String text) {
    return parse(text, ConfigKeys.MESH_HOSTS);
  }

  /** As {@link #parse(String)}, for the knob {@code key} (named in error messages). */
  public static HostGlobs parse(String text, ConfigKey key) {
    List<String> globs = new ArrayList<>();
    boolean none = false;
    for (String entry : CommaList.entries(text)) {
      String glob = entry.toLowerCase(Locale.ROOT);
      if (glob.equals("none")) {
        none = true;
        continue;
      }
      if (!VALID.matcher(glob).matches()) {
        throw new IllegalArgumentException(what(key) + " pattern \"" + entry + "\" in "
            + key.env() + " is not a host name glob: use letters, digits, dots,"
            + " dashes and * (any characters), e.g. *.svc.cluster.local,payments.internal");
      }
      globs.add(glob);
    }
    if (none && !globs.isEmpty()) {
      throw new IllegalArgumentException(what(key) + " pattern \"none\" in "
          + key.env() + " \"" + text.trim() + "\" disables the mesh-only rule and"
          + " cannot be combined with host globs: write none alone, or only the globs");
    }
    return none ? NONE : new HostGlobs(globs);
  }

  private static String what(ConfigKey key) {
    return key.equals(ConfigKeys.MESH_HOSTS) ? "mesh host" : "host";
  }

  /** Globs already checked by the caller (lower case, valid); e.g. {@link JwtAudiences}. */
  static HostGlobs of(List<String> globs) {
    return new HostGlobs(globs);
  }

  /** Whether {@code glob} is a valid host name glob (letters, digits, dots, dashes and *). */
  static boolean isValidGlob(String glob) {
    return VALID.matcher(glob).matches();
  }

  /** The first glob that matches {@code host}; empty when none does or {@code host} is null. */
  public Optional<String> match(String host) {
    if (host == null || host.isEmpty()) {
      return Optional.empty();
    }
    String normalized = host.toLowerCase(Locale.ROOT);
    if (normalized.endsWith(".")) {
      normalized = normalized.substring(0, normalized.length() - 1);
    }
    for (int i = 0; i < patterns.size(); i++) {
      if (patterns.get(i).matcher(normalized).matches()) {
        return Optional.of(globs.get(i));
      }
    }
    return Optional.empty();
  }

  public List<String> globs() {
    return globs;
  }

  @Override
  public String toString() {
    return String.join(",", globs);
  }
}
