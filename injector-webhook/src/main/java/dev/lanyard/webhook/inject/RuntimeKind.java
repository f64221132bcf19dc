package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/**
 * What a container runs, as far as injection cares: a JVM (javaagent), anything else (sidecar),
 * or unknown: nothing in the pod spec says (an image built by Jib or Cloud Native Buildpacks
 * names no runtime and needs no command), so it gets both, each harmless where it does not apply.
 */
public enum RuntimeKind {
  JVM("jvm"),
  OTHER("other"),
  UNKNOWN("unknown");

  private final String wireName;

  RuntimeKind(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  /** {@code jvm}, {@code other} or {@code unknown}, as in {@code lanyard.dev/runtime.<container>}. */
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
