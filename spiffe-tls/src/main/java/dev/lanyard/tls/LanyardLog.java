package dev.lanyard.tls;

/**
 * Lanyard's own log lines: {@code lanyard: ...} on stderr. Deliberately plain stderr, not a
 * logging framework: the javaagent shares the workload's JVM and must neither configure nor
 * depend on the application's logging (SLF4J bindings, a JUL LogManager chosen by the app).
 */
public final class LanyardLog {
  private static volatile boolean debug;

  private LanyardLog() {}

  /** {@code LANYARD_LOG=debug} turns on {@link #debug}. */
  public static void setDebug(boolean enabled) {
    debug = enabled;
  }

  public static boolean isDebug() {
    return debug;
  }

  public static void info(String message) {
    System.err.println("lanyard: " + message);
  }

  public static void warn(String message) {
    System.err.println("lanyard: WARN " + message);
  }

  public static void debug(String message) {
    if (debug) {
      System.err.println("lanyard: DEBUG " + message);
    }
  }
}
