package dev.lanyard.proxy;

import dev.lanyard.tls.DaemonThreads;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs work that may block off the event loops: JWT-SVID work that may wait on the Workload API (a
 * token not yet cached, JWT bundles not yet held or a new key ID) and host-name lookups
 * ({@link HostLookups}). An event loop serves many connections (all of them, with one worker
 * thread), and one of them waiting up to {@code JwtSender.DEFAULT_WAIT} or a DNS timeout must not
 * stall the others. A cached token or bundle returns at once, so the cost in the common case is
 * one thread hop.
 */
final class OffLoopWork implements AutoCloseable {
  private static final int THREADS = Math.max(4, Runtime.getRuntime().availableProcessors());

  private final ExecutorService threads =
      Executors.newFixedThreadPool(THREADS, DaemonThreads.factory("lanyard-offloop"));

  /** {@code work} on a worker; its result is delivered on {@code loop} (the connection's own). */
  <T> Future<T> submit(EventExecutor loop, Callable<T> work) {
    Promise<T> result = loop.newPromise();
    try {
      threads.execute(() -> {
        try {
          result.trySuccess(work.call());
        } catch (Exception e) {
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
