package dev.lanyard.tls;

import dev.lanyard.reasons.Reason;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a server refuses our X.509-SVID, the client only sees a TLS alert ({@code
 * certificate_unknown}, {@code bad_certificate}, {@code access_denied}, ...), and the reason is in
 * the other pod's log. This judges the likely cause from what the client knows (its own SVID, the
 * server's SPIFFE ID when the handshake got that far, the alert) and words one message for the
 * application's exception, the log line and the audit record ({@code tls.refused_by_peer}). One
 * rule for the javaagent (JSSE's alerts) and the sidecar (BoringSSL's).
 */
public final class RefusedByPeer {
  /** The audit record's action. */
  public static final String AUDIT_ACTION = "tls.refused_by_peer";

  /** The alerts a TLS stack sends when it refuses the certificate it was shown, by their TLS names. */
  private static final Map<String, String> CERTIFICATE_ALERTS = Map.of(
      "bad_certificate", "bad_certificate",
      "unsupported_certificate", "unsupported_certificate",
      "certificate_revoked", "certificate_revoked",
      "certificate_expired", "certificate_expired",
      "certificate_unknown", "certificate_unknown",
      "unknown_ca", "unknown_ca",
      "access_denied", "access_denied",
      "certificate_required", "certificate_required");
  /** JSSE: "Received fatal alert: certificate_unknown"; BoringSSL: "..._ALERT_CERTIFICATE_UNKNOWN". */
  private static final Pattern JSSE = Pattern.compile("Received fatal alert: ([a-z_]+)");
  private static final Pattern BORINGSSL = Pattern.compile("(?:SSLV3|TLSV1|TLSV1_3)_ALERT_([A-Z_]+)");

  private RefusedByPeer() {}

  /**
   * The certificate alert a TLS stack's message reports having received, by its TLS name; empty for
   * any other message (a refusal of ours, a timeout, an alert about something else).
   */
  public static Optional<String> alertIn(String message) {
    if (message == null) {
      return Optional.empty();
    }
    Matcher jsse = JSSE.matcher(message);
    Matcher boring = BORINGSSL.matcher(message);
    String alert = jsse.find() ? jsse.group(1)
        : boring.find() ? boring.group(1).toLowerCase(Locale.ROOT) : null;
    return Optional.ofNullable(alert == null ? null : CERTIFICATE_ALERTS.get(alert));
  }

  /** The likely cause, from the alert, our SVID and the server's ID (when known). */
  static Reason likelyCause(String alert, Optional<Identity> own, Optional<String> peerSpiffeId,
      Instant now) {
    if (alert.equals("certificate_expired")
        || own.map(identity -> !now.isBefore(identity.notAfter())).orElse(false)) {
      return Reason.PEER_REFUSED_EXPIRED;
    }
    Optional<String> ownDomain = own.map(identity -> trustDomain(identity.spiffeId().toString()));
    Optional<String> peerDomain = peerSpiffeId.map(RefusedByPeer::trustDomain);
    if (ownDomain.isPresent() && peerDomain.isPresent() && !ownDomain.equals(peerDomain)) {
      return Reason.PEER_REFUSED_FOREIGN_TRUST_DOMAIN;
    }
    if (alert.equals("unknown_ca")) {
      return Reason.PEER_REFUSED_UNTRUSTED_CA;
    }
    return Reason.PEER_REFUSED_NOT_ALLOWED;
  }

  /** The decision to audit; its {@link PeerDecision#refusalMessage()} is not used (see message). */
  static PeerDecision decision(String peerAddress, Optional<String> peerSpiffeId, String alert,
      Optional<Identity> own, Instant now) {
    Reason cause = likelyCause(alert, own, peerSpiffeId, now);
    PeerDecision.Builder builder =
        PeerDecision.builder(Direction.OUTBOUND, PeerDecision.Outcome.DENIED)
            .action(AUDIT_ACTION)
            .rule(cause)
            .matched(alert)
            .peerAddress(peerAddress)
            .reason(sentence(peerAddress, peerSpiffeId, alert, own, cause));
    own.ifPresent(identity -> builder.local(identity.spiffeId().toString()));
    peerSpiffeId.ifPresent(builder::peerSpiffeId);
    return builder.build();
  }

  /**
   * {@code lanyard: <host:port> (spiffe://...) refused our X.509-SVID spiffe://... with TLS alert
   * certificate_unknown: likely ...; the server's own audit record ...}.
   */
  static String sentence(String peerAddress, Optional<String> peerSpiffeId, String alert,
      Optional<Identity> own, Reason cause) {
    String ownId = own.map(identity -> identity.spiffeId().toString()).orElse("(none yet)");
    String likely;
    switch (cause) {
      case PEER_REFUSED_EXPIRED:
        likely = "our SVID has expired or the peer's clock says so (is the SPIRE Agent reachable?"
            + " GET /identity shows not_after)";
        break;
      case PEER_REFUSED_FOREIGN_TRUST_DOMAIN:
        likely = "the peer is in trust domain " + trustDomain(peerSpiffeId.get())
            + " and does not accept " + trustDomain(ownId) + " (federate the trust domains and add"
            + " " + ownId + " to its LANYARD_ALLOWED_PEERS)";
        break;
      case PEER_REFUSED_UNTRUSTED_CA:
        likely = "the peer does not trust our CA (a CA rotation it has not seen yet, or another"
            + " SPIRE server)";
        break;
      default:
        likely = ownId + " is not in the peer's allowed peers (add it to that workload's"
            + " LANYARD_ALLOWED_PEERS or lanyard.dev/allowed-peers)";
    }
    return peerAddress + peerSpiffeId.map(id -> " (" + id + ")").orElse("")
        + " refused our X.509-SVID " + ownId + " with TLS alert " + alert + ": likely " + likely
        + "; the peer's audit record (its /audit, lanyard audit) names the rule";
  }

  static String trustDomain(String spiffeId) {
    String rest = spiffeId.startsWith("spiffe://") ? spiffeId.substring("spiffe://".length())
        : spiffeId;
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }
}
