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
