package dev.lanyard.testkit;

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
 * A real child process whose stdout and stderr go to one log file, so that its output survives it
 * and can be attached to a failed test. Closing it stops it (SIGTERM, then SIGKILL after 10 s).
 */
public final class ManagedProcess implements AutoCloseable {
  /**
   * Every process still running, stopped by one shutdown hook: when the test JVM itself is
   * interrupted (Ctrl-C, a CI timeout's SIGTERM), JUnit's afterAll never runs, and SPIRE or the
   * apiserver would otherwise outlive it.
   */
  private static final java.util.Set<ManagedProcess> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (ManagedProcess process : LIVE) {
        process.process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.process.destroyForcibly();
      }
    }, "testkit-stop-processes"));
  }

  private final String name;
  private final List<String> command;
  private final Path log;
  private final Process process;

  private ManagedProcess(String name, List<String> command, Path log, Process process) {
    this.name = name;
    this.command = command;
    this.log = log;
    this.process = process;
  }

  /** Starts {@code command} with {@code env} added to (or, for null values, removed from) ours. */
  public static ManagedProcess start(
      String name, List<String> command, Map<String, String> env, Path workDir, Path log) {
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    env.forEach((key, value) -> {
      if (value == null) {
        builder.environment().remove(key);
      } else {
        builder.environment().put(key, value);
      }
    });
    try {
      ManagedProcess started = new ManagedProcess(name, List.copyOf(command), log, builder.start());
      LIVE.add(started);
      return started;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
    }
  }

  /** The process's standard input (e.g. key material handed over without a file). */
  public java.io.OutputStream stdin() {
    return process.getOutputStream();
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Everything the process printed so far. */
  public String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** The last {@code lines} lines of output, for failure reports. */
  public String tail(int lines) {
    String[] all = output().split("\n", -1);
    int from = Math.max(0, all.length - lines);
    return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
  }

  /** Waits until a line matches, failing with the output if the process dies or time runs out. */
  public Matcher awaitOutput(Pattern pattern, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Matcher matcher = pattern.matcher(output());
      if (matcher.find()) {
        return matcher;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue()
            + " before printing /" + pattern + "/; output:\n" + tail(60));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + " did not print /" + pattern + "/ within " + timeout
            + "; output:\n" + tail(60));
      }
      sleep(100);
    }
  }

  /** Waits for the process to exit on its own; returns the exit code or fails with its output. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(name + " still running after " + timeout + "; output:\n"
            + tail(60));
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + name, e);
    }
  }

  /** SIGTERM, then SIGKILL if it is still alive after the grace period; returns the exit code. */
  public int stop(Duration grace) {
    if (process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      try {
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
    if (!process.isAlive()) {
      LIVE.remove(this);
      return process.exitValue();
    }
    return -1;
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + "): " + String.join(" ", command);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
