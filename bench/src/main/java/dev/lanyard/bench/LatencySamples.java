package dev.lanyard.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Latency samples of one open-loop run, in microseconds, and what went wrong. */
final class LatencySamples {
  final List<Double> micros = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger failures = new AtomicInteger();
  final AtomicInteger patched = new AtomicInteger();
  volatile String firstFailure = "";
  int sent;
  double sendLagMaxMs;
  double elapsedSeconds;

  /** Nearest-rank percentile of the samples, in microseconds. */
  double percentile(double p) {
    return percentile(micros, p);
  }

  /** Nearest-rank percentile of microsecond samples. */
  static double percentile(List<Double> values, double p) {
    List<Double> sorted;
    synchronized (values) {
      sorted = new ArrayList<>(values);
    }
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.min(sorted.size() - 1, Math.max(0, rank - 1)));
  }
}
