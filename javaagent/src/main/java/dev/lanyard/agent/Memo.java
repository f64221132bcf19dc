package dev.lanyard.agent;

import java.util.function.Supplier;

/** Computes once, on first use; a computation that throws is tried again at the next use. */
final class Memo<T> implements Supplier<T> {
  private final Supplier<T> compute;
  private volatile T value;

  Memo(Supplier<T> compute) {
    this.compute = compute;
  }

  @Override
  public T get() {
    T current = value;
    if (current == null) {
      synchronized (this) {
        current = value;
        if (current == null) {
          current = compute.get();
          value = current;
        }
      }
    }
    return current;
  }
}
