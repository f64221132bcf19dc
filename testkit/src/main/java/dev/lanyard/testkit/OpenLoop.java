package dev.lanyard.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Calls at a fixed rate, open loop: call i is due at start + i/rate whatever became of the earlier
 * ones, and its latency runs from that due time to its end, so a stalled server is not hidden by a
 * stalled caller (coordinated omission). Several workers take the calls in turn; with too few
 * workers for the server's latency the calls start late, which {@link Result#maxStartLagMillis()}
 * shows.
 */
public final class OpenLoop {
  /** One call; its index is 0, 1, 2, ... Throwing counts as a failure. */
  @FunctionalInterface
  public interface Call {
    void run(int index) throws Exception;
  }

  /** What a run did. Latencies are of successful calls, in nanoseconds, in completion order. */
  public record Result(
      int scheduled,
      List<Long> latencyNanos,
      int failed,
      List<String> failures,
      double seconds,
      double maxStartLagMillis) {
    public int succeeded() {
      return latencyNanos.size();
    }

    /** Successful calls per second from the first due time to the last completion. */
    public double achievedRate() {
      return succeeded() / seconds;
    }

    /** Nearest-rank percentile (0-100) of successful calls' latency, in milliseconds. */
    public double percentileMillis(double p) {
      List<Long> sorted = new ArrayList<>(latencyNanos);
      if (sorted.isEmpty()) {
        return Double.NaN;
      }
      Collections.sort(sorted);
      int rank = (int) Math.ceil(p / 100.0 * sorted.size());
      return sorted.get(Math.min(sorted.size() - 1, Math.max(0, rank - 1))) / 1e6;
    }
  }

  private OpenLoop() {}

  /** {@code rate × duration} calls by {@code workers} threads; waits for the last one. */
  public static Result run(double rate, Duration duration, int workers, Call call)
      throws InterruptedException {
    int total = (int) Math.round(rate * duration.toNanos() / 1e9);
    long period = (long) (1e9 / rate);
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>(total));
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicLong maxLag = new AtomicLong();
    AtomicLong lastEnd = new AtomicLong();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    ExecutorService pool = Executors.newFixedThreadPool(workers, runnable -> {
      Thread thread = new Thread(runnable, "open-loop");
      thread.setDaemon(true);
      return thread;
    });
    for (int w = 0; w < workers; w++) {
      pool.submit(() -> {
        for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
          long due = start + i * period;
          for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
            LockSupport.parkNanos(due - now);
          }
          long lag = System.nanoTime() - due;
          maxLag.accumulateAndGet(lag, Math::max);
          try {
            call.run(i);
            latencies.add(System.nanoTime() - due);
          } catch (Exception | AssertionError e) {
            failed.incrementAndGet();
            if (failures.size() < 5) {
              failures.add("call " + i + ": " + e);
            }
          }
          lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
        }
      });
    }
    pool.shutdown();
    long timeout = duration.toSeconds() * 4 + 120;
    if (!pool.awaitTermination(timeout, TimeUnit.SECONDS)) {
      pool.shutdownNow();
      throw new IllegalStateException("open loop: calls still running " + timeout + " s after start");
    }
    return new Result(total, List.copyOf(latencies), failed.get(), List.copyOf(failures),
        (lastEnd.get() - start) / 1e9, maxLag.get() / 1e6);
  }
}
