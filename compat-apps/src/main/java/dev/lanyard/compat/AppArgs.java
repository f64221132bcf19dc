package dev.lanyard.compat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The command line of one app: {@code --name value} options and bare {@code --flag}s, parsed once.
 * An unknown option, a missing value or a bad number ends the app with exit code 2 and a one-line
 * {@code USAGE} message on stderr, so a typo in a test or a benchmark script never goes unnoticed.
 */
public final class AppArgs {
  private final String app;
  private final Map<String, String> values;
  private final Set<String> flags;

  private AppArgs(String app, Map<String, String> values, Set<String> flags) {
    this.app = app;
    this.values = values;
    this.flags = flags;
  }

  /**
   * Parses {@code args}; {@code valueOptions} take a value, {@code flagOptions} do not (names without
   * the leading dashes).
   */
  public static AppArgs parse(
      String app, String[] args, List<String> valueOptions, List<String> flagOptions) {
    Map<String, String> values = new HashMap<>();
    Set<String> flags = new HashSet<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw usage(app, "unexpected argument '" + arg + "'", valueOptions, flagOptions);
      }
      String name = arg.substring(2);
      String inlineValue = null;
      int equals = name.indexOf('=');
      if (equals >= 0) {
        inlineValue = name.substring(equals + 1);
        name = name.substring(0, equals);
      }
      if (flagOptions.contains(name) && inlineValue == null) {
        flags.add(name);
      } else if (valueOptions.contains(name)) {
        if (inlineValue == null) {
          if (i + 1 >= args.length) {
            throw usage(app, "--" + name + " needs a value", valueOptions, flagOptions);
          }
          inlineValue = args[++i];
        }
        values.put(name, inlineValue);
      } else {
        throw usage(app, "unknown option --" + name, valueOptions, flagOptions);
      }
    }
    return new AppArgs(app, values, flags);
  }

  public String app() {
    return app;
  }

  public String get(String name, String defaultValue) {
    return values.getOrDefault(name, defaultValue);
  }

  /** A value that must be present. */
  public String required(String name) {
    String value = values.get(name);
    if (value == null) {
      throw new UsageException(app + ": --" + name + " is required");
    }
    return value;
  }

  public Path path(String name) {
    String value = values.get(name);
    return value == null ? null : Path.of(value);
  }

  public int intValue(String name, int defaultValue) {
    String value = values.get(name);
    if (value == null) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new UsageException(app + ": --" + name + " must be a whole number, not '" + value + "'");
    }
  }

  public boolean flag(String name) {
    return flags.contains(name);
  }

  private static UsageException usage(
      String app, String problem, List<String> valueOptions, List<String> flagOptions) {
    StringBuilder known = new StringBuilder();
    for (String option : new TreeSet<>(valueOptions)) {
      known.append(" --").append(option).append(" <v>");
    }
    for (String flag : new TreeSet<>(flagOptions)) {
      known.append(" --").append(flag);
    }
    return new UsageException(app + ": " + problem + "; options:" + known);
  }

  /** Thrown for a bad command line; {@link #exitOnUsageError} turns it into exit code 2. */
  public static final class UsageException extends RuntimeException {
    public UsageException(String message) {
      super(message);
    }
  }

  /** Runs {@code body}, mapping a {@link UsageException} to one stderr line and exit code 2. */
  public static void exitOnUsageError(ThrowingRunnable body) throws Exception {
    try {
      body.run();
    } catch (UsageException e) {
      System.err.println("USAGE " + e.getMessage());
      System.exit(2);
    }
  }

  /** A block that may throw anything. */
  @FunctionalInterface
  public interface ThrowingRunnable {
    void run() throws Exception;
  }
}
