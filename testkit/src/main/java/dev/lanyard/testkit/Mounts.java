package dev.lanyard.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The mounts under a directory of ours (container root filesystems, shm, netns, pod volumes). */
final class Mounts {
  private Mounts() {}

  /** Mount points at or under {@code dir}, deepest first. */
  static List<String> under(Path dir) {
    String prefix = dir.toString();
    List<String> points = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String point = unescape(line.split(" ")[4]);
        if (point.equals(prefix) || point.startsWith(prefix + "/")) {
          points.add(point);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/mountinfo: " + e, e);
    }
    points.sort(Comparator.comparingInt(String::length).reversed());
    return points;
  }

  /** Unmounts everything under {@code dir}; one line per mount that stays. */
  static List<String> unmountAll(Path dir) {
    for (String point : under(dir)) {
      if (!Command.run(Duration.ofSeconds(20), "umount", point).ok()) {
        // Busy (a process we could not stop still has it open): detach it so the directory goes.
        Command.run(Duration.ofSeconds(20), "umount", "--lazy", point);
      }
    }
    return under(dir).stream().map(point -> "still mounted: " + point).toList();
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length()) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
