package dev.lanyard.webhook.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code lanyard identities} as a table: POD, CONTAINER, RUNTIME, SPIFFE ID, SERIAL, EXPIRES,
 * INBOUND, LAST REFUSAL; NAMESPACE first with {@code -A}; ROTATIONS and PEERS last with {@code -o
 * wide}. A process that could not be asked shows why in the SPIFFE ID column.
 */
final class IdentityTable {
  private IdentityTable() {}

  static String format(List<IdentityRow> rows, boolean withNamespace, boolean wide) {
    List<String> headers = new ArrayList<>();
    if (withNamespace) {
      headers.add("NAMESPACE");
    }
    headers.addAll(
        List.of(
            "POD", "CONTAINER", "RUNTIME", "SPIFFE ID", "SERIAL", "EXPIRES", "INBOUND",
            "LAST REFUSAL"));
    if (wide) {
      headers.addAll(List.of("ROTATIONS", "PEERS"));
    }
    List<List<String>> cells = new ArrayList<>();
    for (IdentityRow row : rows) {
      List<String> line = new ArrayList<>();
      if (withNamespace) {
        line.add(row.namespace());
      }
      line.add(row.pod());
      line.add(row.container());
      line.add(row.runtime());
      line.add(row.error() != null ? "(" + row.error() + ")" : row.spiffeId());
      line.add(orDash(row.serial()));
      line.add(orDash(row.expires()));
      line.add(orDash(row.inbound()));
      line.add(orDash(row.lastRefusal()));
      if (wide) {
        line.add(row.rotations() == null ? "-" : row.rotations().toString());
        line.add(row.peers().isEmpty() ? "-" : String.join(", ", row.peers()));
      }
      cells.add(line);
    }
    return TextTable.format(headers, cells);
  }

  private static String orDash(String value) {
    return value == null ? "-" : value;
  }
}
