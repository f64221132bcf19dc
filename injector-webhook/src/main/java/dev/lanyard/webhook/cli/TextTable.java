package dev.lanyard.webhook.cli;

import java.util.List;

/** Rows as an aligned text table, like kubectl's: three spaces between columns. */
final class TextTable {
  private TextTable() {}

  static String format(List<String> headers, List<List<String>> rows) {
    int[] widths = new int[headers.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = headers.get(i).length();
    }
    for (List<String> row : rows) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    append(out, headers, widths);
    rows.forEach(row -> append(out, row, widths));
    return out.toString();
  }

  private static void append(StringBuilder out, List<String> cells, int[] widths) {
    for (int i = 0; i < cells.size(); i++) {
      if (i == cells.size() - 1) {
        out.append(cells.get(i));
      } else {
        out.append(String.format("%-" + (widths[i] + 3) + "s", cells.get(i)));
      }
    }
    out.append('\n');
  }
}
