package dev.lanyard.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The one list syntax of Lanyard's settings: entries separated by commas, each trimmed, empty
 * entries (a trailing comma, {@code a,,b}) ignored. Every comma-list setting (allowed peers, host
 * globs, mesh CIDRs, server IDs, JWT audiences, inbound and outbound routes) reads its entries
 * here, so the javaagent, the sidecar and the webhook split a value alike.
 */
public final class CommaList {
  private CommaList() {}

  /** The trimmed, non-empty entries of {@code text}, in order; none for null. */
  public static List<String> entries(String text) {
    if (text == null) {
      return Collections.emptyList();
    }
    List<String> entries = new ArrayList<>();
    for (String entry : text.split(",")) {
      String item = entry.trim();
      if (!item.isEmpty()) {
        entries.add(item);
      }
    }
    return entries;
  }
}
