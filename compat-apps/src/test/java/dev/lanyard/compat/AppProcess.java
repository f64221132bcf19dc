package dev.lanyard.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One compat app in a child JVM, started as the javaagent tests will start it:
 * {@code java -cp <classes>:<classpath.txt> dev.lanyard.compat.<App> ...}. Its stdout and stderr go
 * to two files, so tests can check which stream a line went to. The child gets no
 * {@code JAVA_TOOL_OPTIONS} (nor any other inherited JVM options or {@code LANYARD_*} variable): it
 * runs exactly what the test says.
 */
public final class AppProcess implements AutoCloseable {
  /** Start-up options that make short-lived JVMs cheap on a small machine. */
  public static final List<String> SMALL_JVM =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-Xss512k");

  private static final Pattern LISTENING = Pattern.compile("(?m)^LISTENING port=(\\d+)$");

  private final String name;
  private final Process process;
  private final Path stdout;
  private final Path stderr;
  private final List<String> command;

  private AppProcess(String name, Process process, Path stdout, Path stderr, List<String> command) {
    this.name = name;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.command = command;
  }

  /**
   * Starts {@code mainClass} (simple name, in {@code dev.lanyard.compat}) with the given class path,
   * logging to {@code <logDir>/<name>.out|.err}.
   */
  public static AppProcess start(String classpath, Path logDir, String name, List<String> jvmArgs,
      String mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(SMALL_JVM);
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(classpath);
    command.add("dev.lanyard.compat." + mainClass);
    command.addAll(args);
    Path out = logDir.resolve(name + ".out");
    Path err = logDir.resolve(name + ".err");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("LANYARD_")
        || key.equals("JAVA_TOOL_OPTIONS") || key.equals("_JAVA_OPTIONS")
        || key.equals("JDK_JAVA_OPTIONS") || key.equals("SPIFFE_ENDPOINT_SOCKET"));
    try {
      return new AppProcess(name, builder.start(), out, err, List.copyOf(command));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
  }

  /** The compat apps' class path as the build wrote it (classes + target/classpath.txt). */
  public static String classpath(String classesProperty, String classpathFileProperty) {
    String classes = System.getProperty(classesProperty);
    String file = System.getProperty(classpathFileProperty);
    if (classes == null || file == null) {
      throw new IllegalStateException("run through Maven: system properties " + classesProperty
          + " and " + classpathFileProperty + " are set by the surefire configuration");
    }
    try {
      return classes + ":" + Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " (written by the build)", e);
    }
  }

  public String stdout() {
    return read(stdout);
  }

  public String stderr() {
    return read(stderr);
  }

  /** Waits for {@code LISTENING port=<n>} and returns n. */
  public int awaitPort(Duration timeout) {
    return Integer.parseInt(awaitStdout(LISTENING, timeout).group(1));
  }

  public Matcher awaitStdout(Pattern pattern, Duration timeout) {
    return await(pattern, timeout, true);
  }

  public Matcher awaitStderr(Pattern pattern, Duration timeout) {
    return await(pattern, timeout, false);
  }

  private Matcher await(Pattern pattern, Duration timeout, boolean out) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Matcher matcher = pattern.matcher(out ? stdout() : stderr());
      if (matcher.find()) {
        return matcher;
      }
      if (!process.isAlive() && !pattern.matcher(out ? stdout() : stderr()).find()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + " before printing /"
            + pattern + "/\n" + report());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " did not print /" + pattern + "/ within " + timeout
            + "\n" + report());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** Waits for the process to end by itself and returns its exit code; kills it on timeout. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        close();
        throw new AssertionError(name + " still running after " + timeout + "\n" + report());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return process.exitValue();
  }

  /** The command and both outputs, for assertion messages. */
  public String report() {
    return "command: " + String.join(" ", command) + "\n--- stdout of " + name + "\n" + stdout()
        + "--- stderr of " + name + "\n" + stderr();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }
}
