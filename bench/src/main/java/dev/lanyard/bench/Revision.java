package dev.lanyard.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which Lanyard commit a report measured, and how many files under the measured modules differ
 * from it (others may be developing in the same work tree; a jar's SHA-256 tells builds apart).
 */
final class Revision {
  private Revision() {}

  /** E.g. {@code 3c39769a1b2c (sidecar-proxy as committed)}. */
  static String of(String... modules) {
    String commit = Machine.firstLine(List.of("git", "rev-parse", "--short=12", "HEAD"));
    List<String> status = new ArrayList<>(List.of("git", "status", "--porcelain", "--"));
    status.addAll(List.of(modules));
    String changes = Machine.output(status).strip();
    long changed = changes.isEmpty() ? 0 : changes.lines().count();
    return commit + (changed == 0 ? " (" + String.join(", ", modules) + " as committed)"
        : " plus uncommitted changes in " + changed + " files under "
            + List.of(modules).stream().map(m -> m + "/").collect(Collectors.joining(", ")));
  }
}
