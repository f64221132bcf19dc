package dev.lanyard.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs JWT-SVID work that may wait on the Workload API (a token not yet cached, JWT bundles not
 * yet held or a new key ID) off the event loops: an event loop serves many connections, and one
 * of them waiting up to {@code JwtSender.DEFAULT_WAIT} must not stall the others. A cached token
 * or bundle returns at once, so the cost in the common case is one thread hop.
 */
final class JwtWorkers implements AutoCloseable {
  private static final int THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

  private final ExecutorService threads;

  JwtWorkers() {
    AtomicInteger count = new AtomicInteger();
    this.threads = Executors.newFixedThreadPool(THREADS, task -> {
      Thread thread = new Thread(task, "lanyard-jwt-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  /** {@code work} on a worker; its result is delivered on {@code loop} (the connection's own). */
  <T> Future<T> submit(EventExecutor loop, Supplier<T> work) {
    Promise<T> result = loop.newPromise();
    try {
      threads.execute(() -> {
        try {
          result.trySuccess(work.get());
        } catch (RuntimeException e) {
          result.tryFailure(e);
        }
      });
    } catch (RejectedExecutionException e) {
      result.tryFailure(e);
    }
    return result;
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
