package dev.lanyard.bench;

/** The one piece of JSON the reports write by hand: a string literal. */
final class Json {
  private Json() {}

  /** {@code text} as a JSON string literal, quotes included. */
  static String q(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
      }
    }
    return out.append('"').toString();
  }
}
