package dev.lanyard.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code scripts/install-tools.sh --background}, seen from the tests: {@code make test} starts the
 * Maven suite while the tools are still building (a cold CI run overlaps the two), so a test that
 * needs a tool or image the build has yet to make waits for it here instead of failing. The build
 * writes its pid to {@code builder.pid} beside {@code bin/} (removed when it ends) and what it makes
 * to {@code builder.makes}; only those are waited for, so a name it never makes fails at once.
 * Every binary and image appears whole (by a rename), so its presence means it is ready.
 */
final class BackgroundToolBuild {
  /** Longer than a cold build of every tool on two cores takes (about 40 minutes). */
  static final Duration LONGEST_WAIT = Duration.ofMinutes(75);
  private static final Duration POLL = Duration.ofMillis(500);

  private BackgroundToolBuild() {}

  /**
   * Returns once {@code file} exists, or at once when no background build runs; when the build
   * ends without making it, the caller's own check then fails with the install command.
   */
  static void awaitIfBuilding(Path toolsRoot, Path file) {
    if (Files.exists(file)) {
      return;
    }
    Optional<ProcessHandle> builder = running(toolsRoot);
    if (builder.isEmpty() || !declared(toolsRoot, file)) {
      return;
    }
    Path log = toolsRoot.resolve("logs").resolve("background.log");
    System.err.printf("testkit: waiting for %s: scripts/install-tools.sh --background (pid %d) is"
        + " still building it (log %s)%n", file.getFileName(), builder.get().pid(), log);
    Instant began = Instant.now();
    Instant deadline = began.plus(LONGEST_WAIT);
    while (!Files.exists(file) && builder.get().isAlive()) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(file.getFileName() + " still missing after waiting "
            + LONGEST_WAIT.toMinutes() + " min for scripts/install-tools.sh --background (pid "
            + builder.get().pid() + "); see " + log);
      }
      sleep();
    }
    System.err.printf("testkit: %s %s after %d s%n", file.getFileName(),
        Files.exists(file) ? "ready" : "NOT built: the background build ended; see " + log,
        Duration.between(began, Instant.now()).toSeconds());
  }

  /** Whether the build declared it makes {@code file} ({@code builder.makes}, paths under the root). */
  static boolean declared(Path toolsRoot, Path file) {
    try {
      Path wanted = file.toAbsolutePath().normalize();
      return Files.readAllLines(toolsRoot.resolve("builder.makes")).stream()
          .map(String::strip).filter(line -> !line.isEmpty())
          .anyMatch(line -> toolsRoot.resolve(line).toAbsolutePath().normalize().equals(wanted));
    } catch (IOException e) {
      return false;
    }
  }

  /** The background build, if its pid file names a live {@code install-tools.sh} process. */
  static Optional<ProcessHandle> running(Path toolsRoot) {
    Path pidFile = toolsRoot.resolve("builder.pid");
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile).strip());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();   // no build runs (or its pid file is being written: seen as none)
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().orElse("").contains("install-tools"));
  }

  private static void sleep() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the background tool build", e);
    }
  }
}
