package dev.lanyard.webhook.inject;

import java.util.Arrays;

/**
 * Merges the javaagent flag into a literal {@code JAVA_TOOL_OPTIONS} value: appended after the
 * workload's own options, never replacing them, never twice. (Clobbered JAVA_TOOL_OPTIONS are the
 * most common complaint about Java agent injectors.)
 */
final class JavaToolOptions {
  private JavaToolOptions() {}

  /** The value with the flag; {@code null} or blank becomes the flag alone. */
  static String withJavaagent(String current) {
    if (current == null || current.isBlank()) {
      return LanyardNames.JAVAAGENT_FLAG;
    }
    if (hasJavaagent(current)) {
      return current;
    }
    return current.stripTrailing() + " " + LanyardNames.JAVAAGENT_FLAG;
  }

  /** Whether the options already load Lanyard's jar (options may carry more after the jar path). */
  static boolean hasJavaagent(String options) {
    return Arrays.stream(options.trim().split("\\s+"))
        .anyMatch(
            option ->
                option.equals(LanyardNames.JAVAAGENT_FLAG)
                    || option.startsWith(LanyardNames.JAVAAGENT_FLAG + "="));
  }
}
