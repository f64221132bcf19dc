package dev.lanyard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine-wide sysctls the kubelet sets at start (its {@code setupKernelTunables}: overcommit,
 * panic on OOM and oops, reboot after panic, root's key quota), recorded before the node starts
 * and put back when it stops, so that a test node does not leave this machine rebooting on an
 * oops. Network sysctls need no such care: they belong to the node's own network namespace.
 */
final class KernelTunables {
  static final List<String> KUBELET_SETS = List.of(
      "vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
      "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes");

  private final Map<Path, String> saved;

  private KernelTunables(Map<Path, String> saved) {
    this.saved = saved;
  }

  static KernelTunables record() {
    Map<Path, String> saved = new LinkedHashMap<>();
    for (String name : KUBELET_SETS) {
      Path file = Path.of("/proc/sys", name);
      try {
        saved.put(file, read(file));
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + file + " to restore it after the node: " + e, e);
      }
    }
    return new KernelTunables(saved);
  }

  /**
   * One sysctl's value. Read in one call: the kernel answers a read at a non-zero offset with
   * end-of-file, so {@code Files.readString} (which reads one byte, then the rest) sees only "1"
   * of "10".
   */
  static String read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new String(in.readNBytes(4096), StandardCharsets.US_ASCII).trim();
    }
  }

  /** Writes back every recorded value; returns one line per value it could not restore. */
  List<String> restore() {
    List<String> failures = new ArrayList<>();
    saved.forEach((file, value) -> {
      try {
        if (!read(file).equals(value)) {
          Files.writeString(file, value);
        }
      } catch (IOException e) {
        failures.add("cannot restore " + file + " to " + value + ": " + e);
      }
    });
    return failures;
  }
}
