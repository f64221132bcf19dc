package dev.lanyard.agent;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@link AgentRuntime} that starts on a background thread, for what premain wires before it
 * exists (the socket hooks of {@code LANYARD_UPGRADE_INBOUND}/{@code _OUTBOUND}): they ask for it
 * only when an upgraded connection needs TLS, and fail that connection, never pass it in clear
 * text, when it failed or did not come within the wait.
 */
final class PendingRuntime {
  private final CompletableFuture<AgentRuntime> runtime = new CompletableFuture<>();
  private final Duration maxWait;

  PendingRuntime(Duration maxWait) {
    this.maxWait = maxWait;
  }

  void started(AgentRuntime started) {
    runtime.complete(started);
  }

  void failed(Throwable failure) {
    runtime.completeExceptionally(failure);
  }

  /** Runs {@code then} with the runtime once it has started (at once if it has); never if it failed. */
  void whenStarted(java.util.function.Consumer<AgentRuntime> then) {
    runtime.thenAccept(then);
  }

  /** The runtime, waiting for it at most the wait given at construction. */
  AgentRuntime await() {
    try {
      return runtime.get(maxWait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the javaagent failed to start (" + e.getCause()
          + "), so this upgraded connection has no TLS and is refused", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the javaagent had not started after " + maxWait.toSeconds()
          + " s (LANYARD_STARTUP's wait), so this upgraded connection has no TLS and is refused");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the javaagent to start", e);
    }
  }
}
