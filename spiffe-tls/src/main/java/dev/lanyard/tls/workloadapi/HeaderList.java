package dev.lanyard.tls.workloadapi;

import java.util.ArrayList;
import java.util.List;

/**
 * A decoded header block, in order, names and values as sent (ISO-8859-1, byte for byte); {@link
 * #truncated()} when it exceeded this client's SETTINGS_MAX_HEADER_LIST_SIZE and fields were left
 * out.
 */
final class HeaderList {
  private final List<String> namesAndValues = new ArrayList<>();
  private boolean truncated;

  void add(String name, String value) {
    namesAndValues.add(name);
    namesAndValues.add(value);
  }

  void truncated(boolean truncated) {
    this.truncated = truncated;
  }

  boolean truncated() {
    return truncated;
  }

  /** The first value of {@code name} (lower case, as HTTP/2 sends names), or null. */
  String get(String name) {
    for (int i = 0; i < namesAndValues.size(); i += 2) {
      if (namesAndValues.get(i).equals(name)) {
        return namesAndValues.get(i + 1);
      }
    }
    return null;
  }

  String status() {
    return get(":status");
  }

  int size() {
    return namesAndValues.size() / 2;
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("{");
    for (int i = 0; i < namesAndValues.size(); i += 2) {
      text.append(i == 0 ? "" : ", ").append(namesAndValues.get(i)).append(": ")
          .append(namesAndValues.get(i + 1));
    }
    return text.append(truncated ? ", ...}" : "}").toString();
  }
}
