package dev.lanyard.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;

/**
 * Routes java.util.logging (and with it SLF4J through slf4j-jdk14, Tomcat's JULI and the JDK's
 * {@code System.Logger}) to stderr, one line per record: {@code <LEVEL> <logger>: <message>[:
 * <exception> (root cause ...)]}.
 *
 * <p>Most libraries log a failed TLS handshake only at debug level (the JDK HttpsServer, Tomcat,
 * gRPC). {@link #watchTls} turns such a logger to debug but lets through only records whose
 * exception is a TLS failure, printed as {@code ERROR}: the one line an operator needs, without the
 * debug noise.
 */
public final class OneLineLogging {
  /** Keeps configured loggers reachable: java.util.logging forgets the level of a collected one. */
  private static final List<Logger> CONFIGURED = new ArrayList<>();

  private static final List<String> TLS_WATCHED = new ArrayList<>();

  private OneLineLogging() {}

  /** Replaces the root handlers with one stderr handler; records below INFO are dropped. */
  public static synchronized void install() {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    root.setLevel(Level.INFO);
    root.addHandler(new StderrHandler());
    CONFIGURED.add(root);
  }

  /** Sets a logger's level (e.g. to quieten a chatty library). */
  public static synchronized void level(String loggerName, Level level) {
    Logger logger = Logger.getLogger(loggerName);
    logger.setLevel(level);
    CONFIGURED.add(logger);
  }

  /** Shows TLS failures that {@code loggerName} (and its children) log at debug levels. */
  public static synchronized void watchTls(String loggerName) {
    level(loggerName, Level.ALL);
    TLS_WATCHED.add(loggerName);
  }

  private static boolean shouldPublish(LogRecord record) {
    if (record.getLevel().intValue() >= Level.INFO.intValue()) {
      return true;
    }
    return isWatched(record.getLoggerName()) && isTlsFailure(record.getThrown());
  }

  private static synchronized boolean isWatched(String loggerName) {
    if (loggerName == null) {
      return false;
    }
    for (String watched : TLS_WATCHED) {
      if (loggerName.equals(watched) || loggerName.startsWith(watched + ".")) {
        return true;
      }
    }
    return false;
  }

  private static boolean isTlsFailure(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Not a {@code ConsoleHandler}: Tomcat's JULI replaces the formatter of every root
   * {@code ConsoleHandler} with its own two-line one.
   */
  private static final class StderrHandler extends Handler {
    StderrHandler() {
      setLevel(Level.ALL);
      setFormatter(new OneLineFormatter());
      setFilter(OneLineLogging::shouldPublish);
    }

    @Override
    public void publish(LogRecord record) {
      if (isLoggable(record)) {
        System.err.print(getFormatter().format(record));
        System.err.flush();
      }
    }

    @Override
    public void flush() {
      System.err.flush();
    }

    @Override
    public void close() {
      flush();
    }
  }

  private static final class OneLineFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      String level;
      int value = record.getLevel().intValue();
      if (value >= Level.SEVERE.intValue() || (value < Level.INFO.intValue()
          && isTlsFailure(record.getThrown()))) {
        level = "ERROR";
      } else if (value >= Level.WARNING.intValue()) {
        level = "WARN";
      } else if (value >= Level.INFO.intValue()) {
        level = "INFO";
      } else {
        level = "DEBUG";
      }
      StringBuilder line = new StringBuilder(level).append(' ')
          .append(record.getLoggerName()).append(": ")
          .append(Failures.oneLine(formatMessage(record)));
      if (record.getThrown() != null) {
        line.append(": ").append(Failures.describe(record.getThrown()));
      }
      return line.append(System.lineSeparator()).toString();
    }
  }
}
