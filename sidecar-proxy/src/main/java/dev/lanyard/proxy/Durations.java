package dev.lanyard.proxy;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the short durations operators write in env vars: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}. */
final class Durations {
  private static final Pattern SHAPE = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  private Durations() {}

  static Duration parse(String text) {
    Matcher matcher = SHAPE.matcher(text.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a duration; write e.g. 500ms, 10s, 5m or 1h");
    }
    long amount = Long.parseLong(matcher.group(1));
    switch (matcher.group(2)) {
      case "ms":
        return Duration.ofMillis(amount);
      case "s":
        return Duration.ofSeconds(amount);
      case "m":
        return Duration.ofMinutes(amount);
      default:
        return Duration.ofHours(amount);
    }
  }
}
