package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of {@code lanyard identities}: what one Lanyard process (a javaagent or a sidecar)
 * reports at {@code /identity}, or, in {@code error}, why it could not be asked. Fields the
 * endpoint did not report are null.
 *
 * @param runtime {@code agent} (javaagent) or {@code sidecar}
 * @param inbound the endpoint's {@code inbound_mode}; {@code tls} when it reports none (such
 *     versions accept TLS only)
 * @param lastRefusal the endpoint's {@code last_denial}: when, which peer, why
 */
record IdentityRow(
    String namespace,
    String pod,
    String container,
    String runtime,
    String spiffeId,
    String serial,
    String expires,
    String inbound,
    String lastRefusal,
    Long rotations,
    List<String> peers,
    String error) {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String DEFAULT_INBOUND = "tls";

  /** Parses the admin endpoint's {@code /identity} JSON (see spiffe-tls AdminEndpoints). */
  static IdentityRow fromIdentityJson(AdminTarget target, String json) {
    JsonNode identity;
    try {
      identity = JSON.readTree(json);
    } catch (IOException e) {
      return problem(target, "unreadable /identity answer: " + e.getMessage());
    }
    String spiffeId = text(identity, "spiffe_id");
    String error = null;
    if (spiffeId == null) {
      String lastError = text(identity, "last_error");
      error = "no SVID yet" + (lastError == null ? "" : ": " + lastError);
    }
    List<String> peers = new ArrayList<>();
    for (JsonNode peer : identity.path("recent_peers")) {
      String arrow = "inbound".equals(peer.path("direction").asText()) ? "<-" : "->";
      String counts = peer.path("allowed").asLong() + " ok";
      if (peer.path("denied").asLong() > 0) {
        counts += ", " + peer.path("denied").asLong() + " denied";
      }
      peers.add(arrow + peer.path("peer").asText("?") + " (" + counts + ")");
    }
    String inbound = text(identity, "inbound_mode");
    return new IdentityRow(
        target.namespace(),
        target.pod(),
        target.container(),
        target.runtime(),
        spiffeId,
        text(identity, "serial"),
        text(identity, "not_after"),
        inbound == null ? DEFAULT_INBOUND : inbound,
        refusal(identity.path("last_denial")),
        identity.path("rotation_count").isNumber()
            ? identity.path("rotation_count").asLong()
            : null,
        List.copyOf(peers),
        error);
  }

  static IdentityRow problem(AdminTarget target, String problem) {
    return new IdentityRow(
        target.namespace(),
        target.pod(),
        target.container(),
        target.runtime(),
        null,
        null,
        null,
        null,
        null,
        null,
        List.of(),
        problem);
  }

  /** {@code TIME PEER: REASON} of an audit record, or null for none. */
  private static String refusal(JsonNode record) {
    if (!record.isObject()) {
      return null;
    }
    String peer = text(record, "peer_spiffe_id");
    if (peer == null) {
      peer = text(record, "resource");
    }
    return text(record, "timestamp")
        + " "
        + (peer == null ? "(peer unknown)" : peer)
        + ": "
        + text(record, "reason");
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return value.isNull() || value.isMissingNode() || value.asText().isEmpty()
        ? null
        : value.asText();
  }

  /** The row for {@code -o json|yaml}: every field by its snake_case name. */
  Map<String, Object> fields() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("namespace", namespace);
    out.put("pod", pod);
    out.put("container", container);
    out.put("runtime", runtime);
    out.put("spiffe_id", spiffeId);
    out.put("serial", serial);
    out.put("expires", expires);
    out.put("inbound_mode", inbound);
    out.put("last_refusal", lastRefusal);
    out.put("rotations", rotations);
    out.put("recent_peers", peers);
    out.put("error", error);
    return out;
  }
}
