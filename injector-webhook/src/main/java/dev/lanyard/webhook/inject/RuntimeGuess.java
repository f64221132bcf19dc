package dev.lanyard.webhook.inject;

/**
 * A container's runtime and the evidence for it, e.g. {@code jvm (image eclipse-temurin:21 names
 * temurin)}.
 */
public record RuntimeGuess(RuntimeKind runtime, String because) {
  @Override
  public String toString() {
    return runtime.wireName() + " (" + because + ")";
  }
}
