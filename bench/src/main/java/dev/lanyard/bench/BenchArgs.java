package dev.lanyard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What every benchmark's main does first: read {@code --name value} knobs, check its inputs are built. */
final class BenchArgs {
  private BenchArgs() {}

  /** The {@code --name value} pairs of {@code args}, by name (without the dashes), in order. */
  static Map<String, String> options(String[] args) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value, got " + args[i]);
      }
      if (i + 1 == args.length) {
        // Not ignored: a run of many minutes with a knob silently left at its default is worse.
        throw new IllegalArgumentException(args[i] + " needs a value");
      }
      values.put(args[i].substring(2), args[i + 1]);
    }
    return values;
  }

  /** Fails with the script to run when one of {@code required} has not been built. */
  static void requireBuilt(String script, List<Path> required) {
    for (Path path : required) {
      if (!Files.exists(path)) {
        throw new IllegalStateException(path + " is missing: run " + script + " from the"
            + " repository root (it builds what it needs first)");
      }
    }
  }
}
