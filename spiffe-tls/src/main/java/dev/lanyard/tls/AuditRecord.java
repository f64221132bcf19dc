package dev.lanyard.tls;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One audit record: one JSON line per authorization decision, the same schema in the javaagent
 * and the sidecar. Fields, in order:
 *
 * <ul>
 *   <li>{@code timestamp}: ISO-8601 UTC;
 *   <li>{@code action}: {@code tls.accept} (inbound) or {@code tls.connect} (outbound) for
 *       handshakes, {@code jwt.send} or {@code jwt.accept} for JWT-SVIDs;
 *   <li>{@code spiffe_id}: the workload's own ID (absent before its first SVID);
 *   <li>{@code peer_spiffe_id}: the peer's ID, or {@code peer_subject} for a peer without one;
 *       {@code peer_verified: false} marks an ID that an invalid certificate merely claimed;
 *   <li>{@code attestation}: {@code platform, node, namespace, pod, service_account}, each
 *       absent when unset (from {@code LANYARD_POD_NAME} and friends);
 *   <li>{@code resource}: the peer's {@code host:port} when known;
 *   <li>{@code audience}: the JWT-SVID's audience (JWT actions only);
 *   <li>{@code result}: {@code allowed}, {@code denied} or {@code would_deny} (audit mode);
 *   <li>{@code rule}: what decided (a pattern, {@code same_trust_domain}, {@code web-pki}, ...);
 *   <li>{@code reason}: a sentence.
 * </ul>
 *
 * Never any key material, token or full certificate: see {@code docs/AUDIT.md}.
 */
public final class AuditRecord {
  private final Instant timestamp;
  private final PeerDecision decision;
  private final Attestation attestation;

  AuditRecord(Instant timestamp, PeerDecision decision, Attestation attestation) {
    this.timestamp = timestamp;
    this.decision = decision;
    this.attestation = attestation;
  }

  public Instant timestamp() {
    return timestamp;
  }

  public PeerDecision decision() {
    return decision;
  }

  /** The record as an ordered map (the JSON object's fields). */
  Map<String, Object> fields() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("timestamp", timestamp.toString());
    fields.put("action", decision.action());
    fields.put("spiffe_id", decision.localSpiffeId().orElse(null));
    fields.put("peer_spiffe_id", decision.peerSpiffeId().orElse(null));
    fields.put("peer_verified", decision.peerSpiffeId().isPresent() && !decision.peerIdVerified()
        ? Boolean.FALSE : null);
    fields.put("peer_subject", decision.peerSubject().orElse(null));
    fields.put("peer_serial", decision.peerSerial().orElse(null));
    fields.put("attestation", attestation.isEmpty() ? null : attestation.fields());
    fields.put("resource", decision.peerAddress().orElse(null));
    fields.put("audience", decision.audience().orElse(null));
    fields.put("result", decision.outcome().label());
    fields.put("rule", decision.rule());
    fields.put("matched", decision.matched().orElse(null));
    fields.put("reason", decision.reason());
    return fields;
  }

  /** One line of JSON. */
  public String toJson() {
    return Json.write(fields());
  }

  @Override
  public String toString() {
    return toJson();
  }
}
