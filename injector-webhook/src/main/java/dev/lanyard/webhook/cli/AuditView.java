package dev.lanyard.webhook.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Filters and renders {@code lanyard audit}'s records; pure, so tested without a cluster. */
final class AuditView {
  static final String DENIED = "denied";

  private AuditView() {}

  /**
   * Records at or after {@code since} (null: all), only {@code denied} ones when asked, oldest
   * first.
   */
  static List<AuditEntry> select(List<AuditEntry> entries, boolean deniedOnly, Instant since) {
    return entries.stream()
        .filter(entry -> !deniedOnly || DENIED.equals(entry.result()))
        .filter(entry -> since == null || !entry.timestamp().isBefore(since))
        .sorted(Comparator.comparing(AuditEntry::timestamp))
        .toList();
  }

  static String table(List<AuditEntry> entries, boolean withNamespace) {
    List<String> headers = new ArrayList<>();
    if (withNamespace) {
      headers.add("NAMESPACE");
    }
    headers.addAll(List.of("TIME", "POD", "CONTAINER", "RESULT", "ACTION", "PEER", "REASON"));
    List<List<String>> rows = new ArrayList<>();
    for (AuditEntry entry : entries) {
      List<String> row = new ArrayList<>();
      if (withNamespace) {
        row.add(entry.source().namespace());
      }
      row.add(entry.record().path("timestamp").asText("-"));
      row.add(entry.source().pod());
      row.add(entry.source().container());
      row.add(entry.result());
      row.add(entry.record().path("action").asText("-"));
      row.add(entry.peer());
      row.add(entry.record().path("reason").asText("-"));
      rows.add(row);
    }
    return TextTable.format(headers, rows);
  }

  static String json(List<AuditEntry> entries) {
    return StructuredOutput.json(entries.stream().map(AuditEntry::withSource).toList());
  }
}
