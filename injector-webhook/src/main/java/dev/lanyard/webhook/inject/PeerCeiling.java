package dev.lanyard.webhook.inject;

import dev.lanyard.config.AllowedPeers;
import dev.lanyard.config.CommaList;
import dev.lanyard.config.SpiffeIdPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's ceiling on whom a workload may allow ({@code ceiling} in the injector
 * configuration, {@code injector.ceiling} in the chart): a pod may narrow it, never widen it, and
 * may use the {@code audit} keyword (which turns every denial into an allow) only where the
 * operator enabled it. Pure: judges one {@code LANYARD_ALLOWED_PEERS}-style value at a time.
 */
public final class PeerCeiling {
  private final List<SpiffeIdPattern> patterns;
  private final boolean allowAudit;
  private final Set<String> auditNamespaces;

  private PeerCeiling(List<SpiffeIdPattern> patterns, boolean allowAudit, Set<String> auditNamespaces) {
    this.patterns = List.copyOf(patterns);
    this.allowAudit = allowAudit;
    this.auditNamespaces = Set.copyOf(auditNamespaces);
  }

  /**
   * @throws IllegalArgumentException when a ceiling pattern is malformed or is the audit keyword
   */
  public static PeerCeiling of(InjectorConfig.Ceiling ceiling) {
    List<SpiffeIdPattern> patterns = new ArrayList<>();
    for (String entry : entries(ceiling.allowedPeers())) {
      if (isAudit(entry)) {
        throw new IllegalArgumentException(
            "\"audit\" is not a SPIFFE ID pattern; a ceiling lists patterns only (enable audit"
                + " mode with ceiling.allowAudit or ceiling.auditNamespaces)");
      }
      patterns.add(SpiffeIdPattern.parse(entry, "entry", "ceiling.allowedPeers"));
    }
    return new PeerCeiling(patterns, ceiling.allowAudit(), Set.copyOf(ceiling.auditNamespaces()));
  }

  /** Whether the ceiling limits patterns at all (else only the audit keyword is judged). */
  public boolean limitsPatterns() {
    return !patterns.isEmpty();
  }

  /** The ceiling as a {@code LANYARD_ALLOWED_PEERS} value: what a pod gets when nothing is set. */
  public String asAllowedPeers() {
    return String.join(",", patterns.stream().map(SpiffeIdPattern::toString).toList());
  }

  /**
   * Why {@code allowedPeers}, found in {@code where} (e.g. "annotation lanyard.dev/allowed-peers"),
   * breaks the ceiling in {@code namespace}; empty when it stays within.
   */
  public Optional<String> violation(String allowedPeers, String where, String namespace) {
    for (String entry : entries(allowedPeers)) {
      if (isAudit(entry)) {
        if (!auditAllowedIn(namespace)) {
          return Optional.of(
              where
                  + " has \"audit\" (audit mode: every would-be denial is allowed), which the"
                  + " operator has not enabled "
                  + (namespace == null ? "cluster-wide" : "in namespace " + namespace)
                  + " (injector.ceiling.allowAudit is false and injector.ceiling.auditNamespaces is "
                  + (auditNamespaces.isEmpty() ? "empty" : auditNamespaces.stream().sorted().toList())
                  + "); remove \"audit\", or ask the operator to enable it there");
        }
        continue;
      }
      if (patterns.isEmpty()) {
        continue;
      }
      SpiffeIdPattern pattern;
      try {
        pattern = SpiffeIdPattern.parse(entry);
      } catch (IllegalArgumentException e) {
        return Optional.of(where + ": " + e.getMessage() + ", so it cannot be within " + describe());
      }
      if (patterns.stream().noneMatch(pattern::isWithin)) {
        return Optional.of(
            where
                + " entry \""
                + pattern
                + "\" allows peers outside "
                + describe()
                + "; pods may narrow the ceiling, never widen it: list only patterns within it");
      }
    }
    return Optional.empty();
  }

  /** "the operator's ceiling [a, b] (injector.ceiling.allowedPeers)". */
  public String describe() {
    return "the operator's ceiling " + describeList() + " (injector.ceiling.allowedPeers)";
  }

  /** One phrase for the start line, e.g. "peers within [spiffe://td/ns/a/*], audit mode nowhere". */
  public String summary() {
    String peers = patterns.isEmpty() ? "peers not limited" : "peers within " + describeList();
    String audit =
        allowAudit
            ? "audit mode allowed everywhere"
            : auditNamespaces.isEmpty()
                ? "audit mode nowhere"
                : "audit mode only in " + auditNamespaces.stream().sorted().toList();
    return peers + ", " + audit;
  }

  private String describeList() {
    return "[" + String.join(", ", patterns.stream().map(SpiffeIdPattern::toString).toList()) + "]";
  }

  private boolean auditAllowedIn(String namespace) {
    return allowAudit || namespace != null && auditNamespaces.contains(namespace);
  }

  private static boolean isAudit(String entry) {
    return AllowedPeers.isAuditKeyword(entry);
  }

  /** The entries of a comma list, split as the workload splits it. */
  private static List<String> entries(String value) {
    return CommaList.entries(value);
  }
}
