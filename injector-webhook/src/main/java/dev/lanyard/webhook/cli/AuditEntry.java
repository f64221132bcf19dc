package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * One audit record from a Lanyard process's {@code GET /audit} (schema: docs/AUDIT.md), with the
 * pod and container it came from.
 */
record AuditEntry(AdminTarget source, JsonNode record) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses {@code /audit}'s answer, one JSON object per line. */
  static List<AuditEntry> parse(AdminTarget source, String ndjson) throws IOException {
    List<AuditEntry> entries = new ArrayList<>();
    for (String line : ndjson.lines().toList()) {
      if (!line.isBlank()) {
        JsonNode record = JSON.readTree(line);
        if (!record.isObject()) {
          throw new IOException("an /audit line is not a JSON object: " + line);
        }
        entries.add(new AuditEntry(source, record));
      }
    }
    return entries;
  }

  String result() {
    return record.path("result").asText("");
  }

  /** The record's time; {@link Instant#MIN} when it has none, so it sorts first. */
  Instant timestamp() {
    try {
      return Instant.parse(record.path("timestamp").asText(""));
    } catch (DateTimeParseException e) {
      return Instant.MIN;
    }
  }

  /** The peer as the record names it: its SPIFFE ID, else its address. */
  String peer() {
    String id = record.path("peer_spiffe_id").asText("");
    return !id.isEmpty() ? id : record.path("resource").asText("-");
  }

  /** The record with {@code namespace}, {@code pod} and {@code container} in front. */
  ObjectNode withSource() {
    ObjectNode out = JSON.createObjectNode();
    out.put("namespace", source.namespace());
    out.put("pod", source.pod());
    out.put("container", source.container());
    out.setAll((ObjectNode) record);
    return out;
  }
}
