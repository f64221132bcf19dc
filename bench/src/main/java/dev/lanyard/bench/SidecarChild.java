package dev.lanyard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long-running child of the sidecar benchmark (a proxy or the backend): output to a log file
 * (never kept in memory: a proxy under a connection-per-request load logs a line per connection),
 * and the CPU time and resident memory the kernel accounts to it.
 */
final class SidecarChild implements AutoCloseable {
  private static final double CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86-64 and arm64

  final String name;
  final List<String> command;
  private final Process process;
  private final Path log;

  private SidecarChild(String name, List<String> command, Process process, Path log) {
    this.name = name;
    this.command = command;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code command} with our environment minus JVM and Lanyard variables, plus {@code env}. */
  static SidecarChild start(String name, List<String> command, Map<String, String> env, Path logDir) {
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).directory(logDir.toFile());
    TimedRun.cleanEnvironment(builder.environment());
    builder.environment().putAll(env);
    try {
      return new SidecarChild(name, command, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
    }
  }

  /** Writes {@code input} to the child's stdin and closes it (how a child gets a key without a file). */
  void send(String input) {
    try (var stdin = process.getOutputStream()) {
      stdin.write(input.getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to " + name + "'s stdin", e);
    }
  }

  /** The pid; {@code setpriv} execs its command, so this is the proxy's own pid. */
  long pid() {
    return process.pid();
  }

  String output() {
    return TimedRun.read(log);
  }

  /** Waits for a line matching {@code regex} in the log (polled; the log is a file). */
  Matcher awaitLine(String regex, Duration timeout) {
    Pattern pattern = Pattern.compile(regex);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher matcher = pattern.matcher(output());
      if (matcher.find()) {
        return matcher;
      }
      if (!process.isAlive()) {
        break;
      }
      sleep(20);
    }
    throw new IllegalStateException(name + " did not print /" + regex + "/ within " + timeout
        + " (alive=" + process.isAlive() + "); log " + log + ":\n" + TimedRun.tail(output(), 30));
  }

  /** User + system CPU seconds so far, from {@code /proc/<pid>/stat}. */
  double cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  long rssKb() {
    return Machine.vmRssKb(pid());
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
