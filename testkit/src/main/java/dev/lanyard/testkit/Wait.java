package dev.lanyard.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds; the failure names what was awaited and the last error seen. */
public final class Wait {
  private Wait() {}

  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "condition false";
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (IllegalStateException e) {
        throw e; // a component died: no point in waiting
      } catch (RuntimeException e) {
        last = e.toString();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + " not reached within " + timeout + " (last: " + last + ")");
      }
      ManagedProcess.sleep(250);
    }
  }
}
