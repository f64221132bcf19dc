package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/**
 * What a container runs, as far as injection cares: a JVM (javaagent) or anything else (sidecar).
 */
public enum RuntimeKind {
  JVM("jvm"),
  OTHER("other");

  private final String wireName;

  RuntimeKind(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  /** {@code jvm} or {@code other}, as in {@code lanyard.dev/runtime.<container>}. */
  public static Optional<RuntimeKind> parse(String text) {
    String value = text.trim().toLowerCase(Locale.ROOT);
    for (RuntimeKind runtime : values()) {
      if (runtime.wireName.equals(value)) {
        return Optional.of(runtime);
      }
    }
    return Optional.empty();
  }
}
