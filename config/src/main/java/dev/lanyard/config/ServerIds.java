package dev.lanyard.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code LANYARD_SERVER_IDS} (pod annotation {@code lanyard.dev/server-ids}): secure naming, which
 * SPIFFE IDs a mesh host may present, as Istio's secure naming and Linkerd's destination
 * identities do. A comma list of {@code host-glob=spiffe-id-pattern}, e.g. {@code
 * payments.prod.svc=spiffe://example.org/ns/prod/sa/payments}. The first glob (in the order
 * written) that matches the host makes the statement; repeat a glob to allow several IDs. Globs
 * are {@link HostGlobs}', patterns {@link SpiffeIdPattern}s.
 */
public final class ServerIds {
  public static final ServerIds NONE = new ServerIds(Collections.<Entry>emptyList());

  private final List<Entry> entries;

  private ServerIds(List<Entry> entries) {
    this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
  }

  /** Parses the variable's value; every error names the entry, the rule and an example. */
  public static ServerIds parse(String text) {
    List<Entry> entries = new ArrayList<>();
    for (String item : CommaList.entries(text)) {
      int equals = item.indexOf('=');
      if (equals <= 0 || equals == item.length() - 1) {
        throw new IllegalArgumentException("entry \"" + item + "\" is not"
            + " host-glob=spiffe-id-pattern; write e.g."
            + " payments.prod.svc=spiffe://example.org/ns/prod/sa/payments");
      }
      String glob = item.substring(0, equals).trim().toLowerCase(Locale.ROOT);
      if (!HostGlobs.isValidGlob(glob)) {
        throw new IllegalArgumentException("host glob \"" + item.substring(0, equals).trim()
            + "\" in entry \"" + item + "\" is not a host name glob: use letters, digits, dots,"
            + " dashes and * (any characters), e.g. *.prod.svc=spiffe://example.org/ns/prod/*");
      }
      SpiffeIdPattern pattern =
          SpiffeIdPattern.parse(item.substring(equals + 1), "server ID", ConfigKeys.SERVER_IDS);
      entries.add(new Entry(glob, pattern));
    }
    return entries.isEmpty() ? NONE : new ServerIds(entries);
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The statement for {@code host}: the first matching glob and every pattern listed for it. */
  public Optional<Statement> forHost(String host) {
    if (host == null) {
      return Optional.empty();
    }
    for (Entry entry : entries) {
      if (entry.matcher.match(host).isPresent()) {
        List<SpiffeIdPattern> patterns = entries.stream()
            .filter(other -> other.glob.equals(entry.glob))
            .map(other -> other.pattern)
            .collect(Collectors.toList());
        return Optional.of(new Statement(entry.glob, patterns));
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return entries.stream().map(entry -> entry.glob + "=" + entry.pattern)
        .collect(Collectors.joining(","));
  }

  private static final class Entry {
    final String glob;
    final SpiffeIdPattern pattern;
    final HostGlobs matcher;

    Entry(String glob, SpiffeIdPattern pattern) {
      this.glob = glob;
      this.pattern = pattern;
      this.matcher = HostGlobs.of(Collections.singletonList(glob));
    }
  }

  /** Which IDs may serve the hosts of one glob. */
  public static final class Statement {
    private final String glob;
    private final List<SpiffeIdPattern> patterns;

    Statement(String glob, List<SpiffeIdPattern> patterns) {
      this.glob = glob;
      this.patterns = Collections.unmodifiableList(patterns);
    }

    public String glob() {
      return glob;
    }

    public List<SpiffeIdPattern> patterns() {
      return patterns;
    }

    /** The pattern that allows the SPIFFE ID {@code id}; empty when none does. */
    public Optional<SpiffeIdPattern> allowing(String id) {
      return patterns.stream().filter(pattern -> pattern.matches(id)).findFirst();
    }

    @Override
    public String toString() {
      return patterns.stream().map(pattern -> glob + "=" + pattern)
          .collect(Collectors.joining(","));
    }
  }
}
