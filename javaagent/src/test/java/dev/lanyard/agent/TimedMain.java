package dev.lanyard.agent;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Runs a compat app's {@code main} after printing when it was reached:
 * {@code MAIN uptime_ms=<ms since the JVM started> epoch_ms=<wall clock>}. The javaagent's
 * {@code premain} runs before this, so the uptime says how long the javaagent held the start.
 * Usage: {@code TimedMain <app main class> <app args...>}.
 */
public final class TimedMain {
  private TimedMain() {}

  public static void main(String[] args) throws Exception {
    System.out.println("MAIN uptime_ms=" + ManagementFactory.getRuntimeMXBean().getUptime()
        + " epoch_ms=" + System.currentTimeMillis());
    System.out.flush();
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
  }
}
