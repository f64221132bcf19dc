package dev.lanyard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The demo's printout, as pure functions of what the workloads and admin endpoints answered. */
final class DemoReport {
  private DemoReport() {}

  /** One row of the identity table: a Lanyard process and its {@code /identity} answer. */
  record IdentityRow(String workload, String lanyard, String admin, JsonNode identity) {
    String spiffeId() {
      return identity.path("spiffe_id").asText("(none)");
    }
  }

  static List<String> assessment(JsonNode assessment) {
    List<String> lines = new ArrayList<>();
    lines.add("orchestrator (" + assessment.path("orchestrator").asText() + ") ran:");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"STEP", "ANSWER", "ANSWERED BY (verified in the TLS handshake)",
        "CALLER THE WORKLOAD SAW"});
    for (JsonNode step : assessment.path("steps")) {
      rows.add(new String[] {step.path("step").asText(), answer(step.path("step").asText(),
          step.path("result")), step.path("spiffe_id").asText(), step.path("caller_seen").asText()});
      JsonNode llm = step.path("llm");
      if (llm.has("spiffe_id")) {
        rows.add(new String[] {"", "  via LLM gateway (" + llm.path("model").asText() + ")",
            llm.path("spiffe_id").asText(), llm.path("caller_seen").asText()});
      }
    }
    lines.addAll(table(rows, "  "));
    JsonNode verdict = assessment.path("verdict");
    lines.add("verdict: " + verdict.path("severity").asText() + " " + verdict.path("category").asText()
        + ", confidence " + verdict.path("confidence").asText() + ", ticket "
        + verdict.path("ticket").asText());
    for (JsonNode action : verdict.path("actions")) {
      lines.add("  - " + action.asText());
    }
    return lines;
  }

  /**
   * The notify hop's second credential: the JWT-SVID the orchestrator's javaagent sent ({@code
   * sentFor}: its {@code LANYARD_JWT_AUDIENCES}) and the notifier's sidecar verified ({@code
   * required}: its {@code LANYARD_INBOUND_JWT_AUDIENCE}), with the subject the notifier was given.
   */
  static List<String> jwtHop(JsonNode assessment, String sentFor, String required) {
    List<String> lines = new ArrayList<>();
    for (JsonNode step : assessment.path("steps")) {
      if (step.path("jwt_subject").isTextual()) {
        lines.add(step.path("step").asText() + " hop: authenticated by mTLS and by a JWT-SVID for audience "
            + required + " with subject " + step.path("jwt_subject").asText());
        lines.add("  sent by the orchestrator's javaagent (LANYARD_JWT_AUDIENCES=" + sentFor
            + "), verified by the notifier's sidecar");
        lines.add("  (LANYARD_INBOUND_JWT_AUDIENCE=" + required
            + "), which passed the subject to the app in X-Lanyard-Jwt-Subject");
      }
    }
    return lines;
  }

  private static String answer(String step, JsonNode result) {
    switch (step) {
      case "classify":
        return "severity=" + result.path("severity").asText() + " category="
            + result.path("category").asText();
      case "score":
        return "confidence=" + result.path("confidence").asText();
      case "validate":
        return "valid=" + result.path("valid").asText() + ", " + result.path("actions").size()
            + " actions";
      case "notify":
        return "ticket " + result.path("ticket").asText();
      default:
        return result.toString();
    }
  }

  static List<String> identities(List<IdentityRow> identities) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"WORKLOAD", "LANYARD", "SPIFFE ID", "SERIAL", "EXPIRES IN",
        "ALLOWED PEERS", "ADMIN"});
    for (IdentityRow row : identities) {
      JsonNode id = row.identity();
      String serial = id.path("serial").asText("-");
      JsonNode peers = id.path("policy").path("allowed_peers");
      rows.add(new String[] {row.workload(), row.lanyard(), row.spiffeId(),
          serial.length() > 12 ? serial.substring(0, 12) + "…" : serial,
          id.path("seconds_to_expiry").asLong() + " s",
          peers.isEmpty() ? "same trust domain" : peers.size() == 1 ? "1 ID" : peers.size() + " IDs", row.admin()});
    }
    return table(rows, "  ");
  }

  static List<String> table(List<String[]> rows, String indent) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    List<String> lines = new ArrayList<>();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder(indent);
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
      }
      lines.add(line.toString().stripTrailing());
    }
    return lines;
  }
}
