package dev.lanyard.compat;

/**
 * Request latencies in microseconds, in logarithmic buckets 0.5% wide: constant memory however long
 * a {@code --requests 0} run lasts, and percentiles accurate to 0.5%, well inside the 5% the
 * benchmarks compare.
 */
final class LatencyHistogram {
  private static final double BUCKETS_PER_E = 200.0; // bucket width e^(1/200), about 0.5%
  private static final int SIZE = (int) (Math.log(1e10) * BUCKETS_PER_E) + 2;

  private final long[] counts = new long[SIZE];
  private long total;

  synchronized void record(long micros) {
    counts[bucket(Math.max(1, micros))]++;
    total++;
  }

  /** The smallest recorded latency at or above which {@code percent}% of requests fall; 0 if none. */
  synchronized long percentile(double percent) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(total * percent / 100.0);
    long seen = 0;
    for (int i = 0; i < SIZE; i++) {
      seen += counts[i];
      if (seen >= Math.max(1, rank)) {
        return Math.round(Math.exp((i + 0.5) / BUCKETS_PER_E));
      }
    }
    return Math.round(Math.exp((SIZE - 0.5) / BUCKETS_PER_E));
  }

  private static int bucket(long micros) {
    return (int) Math.min(SIZE - 1, Math.floor(Math.log(micros) * BUCKETS_PER_E));
  }
}
