package dev.lanyard.webhook.cli;

import java.util.List;

/** Rows as an aligned text table, like kubectl's. */
final class IdentityTable {
  private static final String[] HEADERS = {
    "POD", "CONTAINER", "SPIFFE ID", "EXPIRES", "ROTATIONS", "PEERS"
  };

  private IdentityTable() {}

  static String format(List<IdentityRow> rows) {
    int[] widths = new int[HEADERS.length];
    for (int i = 0; i < HEADERS.length; i++) {
      widths[i] = HEADERS[i].length();
    }
    for (IdentityRow row : rows) {
      String[] cells = cells(row);
      for (int i = 0; i < cells.length; i++) {
        widths[i] = Math.max(widths[i], cells[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    append(out, HEADERS, widths);
    rows.forEach(row -> append(out, cells(row), widths));
    return out.toString();
  }

  private static String[] cells(IdentityRow row) {
    return new String[] {
      row.pod(), row.container(), row.spiffeId(), row.expires(), row.rotations(), row.peers()
    };
  }

  private static void append(StringBuilder out, String[] cells, int[] widths) {
    for (int i = 0; i < cells.length; i++) {
      if (i == cells.length - 1) {
        out.append(cells[i]);
      } else {
        out.append(String.format("%-" + (widths[i] + 3) + "s", cells[i]));
      }
    }
    out.append('\n');
  }
}
