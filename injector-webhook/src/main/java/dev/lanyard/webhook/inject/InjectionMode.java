package dev.lanyard.webhook.inject;

import java.util.Locale;
import java.util.Optional;

/** The pod's {@code lanyard.dev/mode}. */
public enum InjectionMode {
  /** Javaagent for JVM containers, sidecar for the others. */
  AUTO("auto"),
  JAVAAGENT("javaagent"),
  SIDECAR("sidecar"),
  /** Only the Workload API socket. */
  SOCKET("socket");

  private final String wireName;

  InjectionMode(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<InjectionMode> parse(String text) {
    String value = text.trim().toLowerCase(Locale.ROOT);
    for (InjectionMode mode : values()) {
      if (mode.wireName.equals(value)) {
        return Optional.of(mode);
      }
    }
    return Optional.empty();
  }
}
