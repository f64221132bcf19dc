package dev.lanyard.webhook.inject;

import java.util.Objects;

/**
 * One app container's outcome.
 *
 * @param runtime the runtime decision and its evidence, e.g. "jvm: image eclipse-temurin:21 names
 *     temurin"
 * @param skipCode snake_case reason when {@code mode} is SKIPPED, else null
 * @param detail a sentence: why this mode, or why skipped
 */
public record ContainerReport(
    String name, ContainerMode mode, String runtime, String skipCode, String detail) {
  public ContainerReport {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mode, "mode");
  }

  static ContainerReport injected(String name, ContainerMode mode, String runtime, String detail) {
    return new ContainerReport(name, mode, runtime, null, detail);
  }

  static ContainerReport skipped(String name, String runtime, String skipCode, String detail) {
    return new ContainerReport(name, ContainerMode.SKIPPED, runtime, skipCode, detail);
  }
}
