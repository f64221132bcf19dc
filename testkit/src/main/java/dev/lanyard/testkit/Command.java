package dev.lanyard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A short-lived command (a CLI call such as {@code spire-server entry create}): run, capture, check. */
public final class Command {
  private Command() {}

  /** The result of one run: exit code and combined output. */
  public record Result(List<String> command, int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** The output, or an exception naming the command, exit code and output. */
    public String orThrow() {
      if (!ok()) {
        throw new IllegalStateException("command failed (exit " + exitCode + "): "
            + String.join(" ", command) + "\n" + output);
      }
      return output;
    }
  }

  public static Result run(Duration timeout, String... command) {
    return run(timeout, List.of(command));
  }

  public static Result run(Duration timeout, List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      // Read on this thread; the commands we run print little, and the timeout covers hangs below.
      StringBuilder out = new StringBuilder();
      Thread reader = new Thread(() -> {
        try {
          out.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException ignored) {
          // the process was killed; what we have is what it printed
        }
      }, "command-output");
      reader.setDaemon(true);
      reader.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        reader.join(1000);
        return new Result(List.copyOf(command), -1, out + "\n(killed after " + timeout + ")");
      }
      reader.join(5000);
      return new Result(List.copyOf(command), process.exitValue(), out.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }

  /** Prefixes {@code command} so it runs as {@code uid} (and the same gid) when that is not us. */
  public static List<String> asUid(int uid, List<String> command) {
    if (uid < 0 || uid == currentUid()) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of(
        "setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** Prefixes {@code command} so it runs with {@code gid} as its only group (same uid). */
  public static List<String> asGid(int gid, List<String> command) {
    List<String> wrapped = new ArrayList<>(List.of(
        "setpriv", "--regid=" + gid, "--clear-groups", "--"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** Our own uid, read from /proc so it needs no native code. */
  public static int currentUid() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Integer.parseInt(line.split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return -1;
  }
}
