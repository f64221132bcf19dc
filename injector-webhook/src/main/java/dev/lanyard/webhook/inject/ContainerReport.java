package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import java.util.Objects;

/**
 * One app container's outcome.
 *
 * @param runtime the runtime decision and its evidence, e.g. "jvm: image eclipse-temurin:21 names
 *     temurin"
 * @param skip why the container was left out when {@code mode} is SKIPPED, else null
 * @param detail a sentence: why this mode, or why skipped
 */
public record ContainerReport(
    String name, ContainerMode mode, String runtime, Reason skip, String detail) {
  public ContainerReport {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mode, "mode");
  }

  static ContainerReport injected(String name, ContainerMode mode, String runtime, String detail) {
    return new ContainerReport(name, mode, runtime, null, detail);
  }

  static ContainerReport skipped(String name, String runtime, Reason skip, String detail) {
    return new ContainerReport(name, ContainerMode.SKIPPED, runtime, skip, detail);
  }

  /** The skip's snake_case code, or null when the container was injected. */
  public String skipCode() {
    return skip == null ? null : skip.code();
  }
}
