package dev.lanyard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One whole child process, timed from {@code fork} to exit, its output kept in a log file. The
 * command is wrapped in {@code /usr/bin/time} (when present) for the kernel's peak RSS and the
 * user + system CPU time of the child. The child gets our environment minus every JVM-options and Lanyard variable, plus
 * exactly {@code env}, so no run inherits another's configuration.
 */
record TimedRun(String name, int exit, double wallMillis, long maxRssKb, double cpuSeconds,
    String output) {
  private static final Path GNU_TIME = Path.of("/usr/bin/time");
  private static final String RSS_MARK = "LANYARD_BENCH_MAXRSS_KB=";
  private static final Pattern RSS =
      Pattern.compile(RSS_MARK + "(\\d+) cpu_s=([0-9.]+)\\+([0-9.]+)");

  static TimedRun run(String name, List<String> command, Map<String, String> env, Path log,
      Duration timeout) {
    List<String> wrapped = new ArrayList<>();
    boolean measureRss = Files.isExecutable(GNU_TIME);
    if (measureRss) {
      wrapped.addAll(List.of(GNU_TIME.toString(), "-f", RSS_MARK + "%M cpu_s=%U+%S"));
    }
    wrapped.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(wrapped)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    cleanEnvironment(builder.environment());
    builder.environment().putAll(env);
    try {
      long start = System.nanoTime();
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException(name + " still running after " + timeout + "; output in "
            + log + ":\n" + tail(read(log), 30));
      }
      double wall = (System.nanoTime() - start) / 1e6;
      String output = read(log);
      Matcher rss = RSS.matcher(output);
      long maxRss = -1;
      double cpu = Double.NaN;
      while (rss.find()) {
        maxRss = Long.parseLong(rss.group(1));
        cpu = Double.parseDouble(rss.group(2)) + Double.parseDouble(rss.group(3));
      }
      return new TimedRun(name, process.exitValue(), wall, maxRss, cpu, output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", wrapped), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + name, e);
    }
  }

  /** Removes what would change a child JVM behind the benchmark's back. */
  static void cleanEnvironment(Map<String, String> environment) {
    environment.keySet().removeIf(key -> key.startsWith("LANYARD_")
        || key.equals("JAVA_TOOL_OPTIONS") || key.equals("_JAVA_OPTIONS")
        || key.equals("JDK_JAVA_OPTIONS") || key.equals("SPIFFE_ENDPOINT_SOCKET"));
  }

  static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines),
        all.length));
  }
}
