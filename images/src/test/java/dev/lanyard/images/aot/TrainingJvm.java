package dev.lanyard.images.aot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One training run of an image's JVM: the image's own runtime and jar (laid out under a root as in
 * the image, so the cache's paths match the image's by JDK 25's common-prefix rule), started with
 * {@code -XX:AOTCacheOutput}, stopped with SIGTERM after the workload; the JVM writes the AOT cache
 * (JEP 483 classes, JEP 515 method profiles) as it exits.
 */
final class TrainingJvm implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final Path cache;

  private TrainingJvm(Process process, Path log, Path cache) {
    this.process = process;
    this.log = log;
    this.cache = cache;
  }

  /** Starts {@code root/java} with {@code flags}, the cache output and {@code -jar root/jar}. */
  static TrainingJvm start(Path root, String java, String jar, Path cache, List<String> flags,
      Map<String, String> env, Path log) throws IOException {
    return start(root, java, jar, cache, flags, env, log, List.of());
  }

  /** As above, with the application's {@code args} after the jar. */
  static TrainingJvm start(Path root, String java, String jar, Path cache, List<String> flags,
      Map<String, String> env, Path log, List<String> args) throws IOException {
    Files.deleteIfExists(cache);
    List<String> command = new ArrayList<>();
    command.add(root.resolve(java).toString());
    command.add("-XX:AOTCacheOutput=" + cache);
    command.addAll(flags);
    command.add("-jar");
    command.add(root.resolve(jar).toString());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    System.out.println("aot-training: " + env + " " + String.join(" ", command));
    return new TrainingJvm(builder.start(), log, cache);
  }

  /** Waits until the JVM's output holds {@code text}; fails with the output if it exits first. */
  void awaitOutput(String text, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.readString(log).contains(text)) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("the training JVM exited (" + process.exitValue()
            + ") before printing '" + text + "':\n" + Files.readString(log));
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the training JVM did not print '" + text + "' within "
        + timeout + ":\n" + Files.readString(log));
  }

  /** SIGTERM, then waits for the exit and the cache the JVM writes as it exits. */
  long stopAndAwaitCache(Duration timeout) throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("the training JVM did not exit within " + timeout
          + " of SIGTERM:\n" + Files.readString(log));
    }
    String output = Files.readString(log);
    if (!Files.isRegularFile(cache) || Files.size(cache) == 0 || !output.contains("AOTCache creation is complete")) {
      throw new IllegalStateException("the training JVM exited (" + process.exitValue()
          + ") without writing the AOT cache " + cache + ":\n" + output);
    }
    return Files.size(cache);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
