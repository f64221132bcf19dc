package dev.lanyard.tls;

import dev.lanyard.config.AllowedPeers;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.SpiffeIdPattern;
import dev.lanyard.reasons.Reason;
import io.spiffe.spiffeid.SpiffeId;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which peer SPIFFE IDs this workload accepts (inbound) and calls (outbound), from {@code
 * LANYARD_ALLOWED_PEERS} (pod annotation {@code lanyard.dev/allowed-peers}).
 *
 * <ul>
 *   <li>A comma list of {@link SpiffeIdPattern}s: a peer is allowed when any pattern matches.
 *   <li>Unset or empty: peers of the workload's own trust domain only. Never accept-all.
 *   <li>Audit mode: the entry {@code audit} anywhere in the list (e.g. {@code
 *       audit,spiffe://td/ns/prod/*}). Decisions are computed as usual, but a would-be denial is
 *       allowed and reported with outcome {@link PeerDecision.Outcome#WOULD_DENY} (and logged as
 *       an audit record). Audit mode relaxes only this policy: a certificate that fails X.509-SVID
 *       verification is refused in every mode. Keeping the switch inside the same list means the
 *       one annotation carries it.
 * </ul>
 */
public final class PeerPolicy {
  /** The keyword that turns on audit mode ({@link AllowedPeers#AUDIT_KEYWORD}). */
  public static final String AUDIT_KEYWORD = AllowedPeers.AUDIT_KEYWORD;

  /** The default: same trust domain as the local SVID, enforcing. */
  public static final PeerPolicy SAME_TRUST_DOMAIN = new PeerPolicy(AllowedPeers.SAME_TRUST_DOMAIN);

  /** What the value says (parsed once, by the config module); this class decides with it. */
  private final AllowedPeers allowed;

  private PeerPolicy(AllowedPeers allowed) {
    this.allowed = allowed;
  }

  /** Parses the {@code LANYARD_ALLOWED_PEERS} value; empty text gives the same_trust_domain default. */
  public static PeerPolicy parse(String allowedPeers) {
    return new PeerPolicy(AllowedPeers.parse(allowedPeers));
  }

  /** Decides whether {@code peer} may talk to {@code local} in {@code direction}. */
  public PeerDecision authorize(SpiffeId local, SpiffeId peer, Direction direction) {
    PeerDecision.Builder decision = PeerDecision.builder(direction, PeerDecision.Outcome.ALLOWED)
        .local(local.toString())
        .peerSpiffeId(peer.toString());
    if (allowed.patterns().isEmpty()) {
      String domain = local.getTrustDomain().getName();
      if (peer.memberOf(local.getTrustDomain())) {
        return decision.rule(Reason.SAME_TRUST_DOMAIN)
            .reason("peer " + peer + " is in the local trust domain " + domain + " ("
                + ConfigKeys.ALLOWED_PEERS.env() + " is unset: same trust domain only)")
            .build();
      }
      return deny(decision, Reason.SAME_TRUST_DOMAIN, "peer " + peer
          + " is outside the local trust domain " + domain + " ("
          + ConfigKeys.ALLOWED_PEERS.env() + " is unset: same trust domain only); list it in "
          + ConfigKeys.ALLOWED_PEERS.env() + " (pod annotation lanyard.dev/allowed-peers) to allow it");
    }
    for (SpiffeIdPattern pattern : allowed.patterns()) {
      if (pattern.matches(peer.toString())) {
        return decision.rule(Reason.ALLOWED_PEERS).matched(pattern.toString())
            .reason("peer " + peer + " matches " + ConfigKeys.ALLOWED_PEERS.env() + " pattern "
                + pattern)
            .build();
      }
    }
    return deny(decision, Reason.ALLOWED_PEERS, "peer " + peer + " matches none of "
        + ConfigKeys.ALLOWED_PEERS.env() + " [" + patternsText(", ") + "]; add it there"
        + " (pod annotation lanyard.dev/allowed-peers) to allow it");
  }

  private PeerDecision deny(PeerDecision.Builder decision, Reason rule, String reason) {
    if (allowed.auditMode()) {
      return decision.outcome(PeerDecision.Outcome.WOULD_DENY).rule(rule)
          .reason("audit mode, allowed but would deny: " + reason).build();
    }
    return decision.outcome(PeerDecision.Outcome.DENIED).rule(rule).reason(reason).build();
  }

  private String patternsText(String separator) {
    return allowed.patterns().stream().map(SpiffeIdPattern::toString)
        .collect(Collectors.joining(separator));
  }

  /** The patterns in order; empty means "same trust domain only". */
  public List<SpiffeIdPattern> patterns() {
    return allowed.patterns();
  }

  public boolean auditMode() {
    return allowed.auditMode();
  }

  /** The policy in {@code LANYARD_ALLOWED_PEERS} syntax (empty for the default). */
  @Override
  public String toString() {
    return allowed.toString();
  }
}
