package dev.lanyard.images;

import java.time.Duration;

/** A test's deliberate wait, interrupt-safe: the node ITs' one copy. */
final class Pauses {
  private Pauses() {}

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
