package dev.lanyard.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The value of {@code LANYARD_ALLOWED_PEERS} (pod annotation {@code lanyard.dev/allowed-peers},
 * chart value {@code injector.defaults.allowedPeers}): a comma list of {@link SpiffeIdPattern}s,
 * and the keyword {@code audit} anywhere in it for audit mode (would-be denials are logged and
 * allowed). Empty: the workload's own trust domain only. spiffe-tls's {@code PeerPolicy} decides
 * with it; the webhook judges it against the operator's ceiling.
 */
public final class AllowedPeers {
  /** The keyword that turns on audit mode. */
  public static final String AUDIT_KEYWORD = "audit";

  public static final AllowedPeers SAME_TRUST_DOMAIN =
      new AllowedPeers(Collections.<SpiffeIdPattern>emptyList(), false);

  private final List<SpiffeIdPattern> patterns;
  private final boolean auditMode;

  private AllowedPeers(List<SpiffeIdPattern> patterns, boolean auditMode) {
    this.patterns = Collections.unmodifiableList(new ArrayList<>(patterns));
    this.auditMode = auditMode;
  }

  /** Parses the value; empty text gives {@link #SAME_TRUST_DOMAIN}. */
  public static AllowedPeers parse(String text) {
    List<SpiffeIdPattern> patterns = new ArrayList<>();
    boolean audit = false;
    for (String item : CommaList.entries(text)) {
      if (isAuditKeyword(item)) {
        audit = true;
      } else {
        patterns.add(SpiffeIdPattern.parse(item));
      }
    }
    return new AllowedPeers(patterns, audit);
  }

  /** Whether one entry of the list is the {@code audit} keyword (any case). */
  public static boolean isAuditKeyword(String entry) {
    return entry.trim().toLowerCase(Locale.ROOT).equals(AUDIT_KEYWORD);
  }

  /** The patterns in order; empty means "same trust domain only". */
  public List<SpiffeIdPattern> patterns() {
    return patterns;
  }

  public boolean auditMode() {
    return auditMode;
  }

  /** The value in its own syntax (empty for the default). */
  @Override
  public String toString() {
    StringBuilder list = new StringBuilder();
    for (SpiffeIdPattern pattern : patterns) {
      list.append(list.length() == 0 ? "" : ",").append(pattern);
    }
    if (!auditMode) {
      return list.toString();
    }
    return list.length() == 0 ? AUDIT_KEYWORD : AUDIT_KEYWORD + "," + list;
  }
}
