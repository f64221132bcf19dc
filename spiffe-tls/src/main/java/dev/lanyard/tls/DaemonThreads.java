package dev.lanyard.tls;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads: nothing Lanyard starts may keep the workload's JVM from exiting. */
public final class DaemonThreads {
  private DaemonThreads() {}

  public static ThreadFactory factory(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
