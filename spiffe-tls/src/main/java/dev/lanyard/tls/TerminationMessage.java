package dev.lanyard.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one line a Lanyard process that stops itself leaves for the kubelet: written to the
 * container's termination message file ({@value #DEFAULT_PATH}, Kubernetes' default {@code
 * terminationMessagePath}, which the kubelet mounts writable even on a read-only root filesystem),
 * it appears as {@code lastState.terminated.message} in the pod's status and in {@code kubectl
 * describe pod}, next to the exit code. Outside a container the file does not exist and nothing is
 * written; a failure to write never changes how the process stops.
 */
public final class TerminationMessage {
  public static final String DEFAULT_PATH = "/dev/termination-log";
  /** The kubelet keeps at most 4096 bytes of it. */
  static final int MAX_BYTES = 4096;

  private TerminationMessage() {}

  /** Writes {@code message} to {@value #DEFAULT_PATH} if that file exists. */
  public static void write(String message) {
    write(Path.of(DEFAULT_PATH), message);
  }

  static void write(Path file, String message) {
    if (!Files.isRegularFile(file) || !Files.isWritable(file)) {
      return;
    }
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(bytes.length, MAX_BYTES);
    try {
      Files.write(file, java.util.Arrays.copyOf(bytes, length), StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException | SecurityException e) {
      LanyardLog.warn("cannot write the termination message to " + file + ": " + e.getMessage());
    }
  }
}
