package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of {@code lanyard identities}: what one Lanyard process (a javaagent or a sidecar)
 * reports at {@code /identity}, or why it could not be asked.
 */
record IdentityRow(
    String pod, String container, String spiffeId, String expires, String rotations, String peers) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses the admin endpoint's {@code /identity} JSON (see spiffe-tls AdminEndpoints). */
  static IdentityRow fromIdentityJson(String pod, String container, String json) {
    JsonNode identity;
    try {
      identity = JSON.readTree(json);
    } catch (IOException e) {
      return problem(pod, container, "unreadable /identity answer: " + e.getMessage());
    }
    String spiffeId = identity.path("spiffe_id").asText("");
    if (spiffeId.isEmpty()) {
      String error = identity.path("last_error").asText("");
      spiffeId = "(no SVID yet" + (error.isEmpty() ? "" : ": " + error) + ")";
    }
    String expires = identity.path("not_after").asText("-");
    String rotations =
        identity.path("rotation_count").isNumber() ? identity.path("rotation_count").asText() : "-";
    List<String> peers = new ArrayList<>();
    for (JsonNode peer : identity.path("recent_peers")) {
      String arrow = "inbound".equals(peer.path("direction").asText()) ? "<-" : "->";
      String counts = peer.path("allowed").asLong() + " ok";
      if (peer.path("denied").asLong() > 0) {
        counts += ", " + peer.path("denied").asLong() + " denied";
      }
      peers.add(arrow + peer.path("peer").asText("?") + " (" + counts + ")");
    }
    return new IdentityRow(
        pod,
        container,
        spiffeId,
        expires,
        rotations,
        peers.isEmpty() ? "-" : String.join(", ", peers));
  }

  static IdentityRow problem(String pod, String container, String problem) {
    return new IdentityRow(pod, container, "(" + problem + ")", "-", "-", "-");
  }
}
