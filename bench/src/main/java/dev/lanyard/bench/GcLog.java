package dev.lanyard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The webhook JVM's {@code -Xlog:gc} file: the stop-the-world pauses logged after a given line,
 * so a latency window can be matched with the collections inside it.
 */
final class GcLog {
  /** e.g. {@code [3.2s][info][gc] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 24M->5M(64M) 2.345ms}. */
  private static final Pattern PAUSE = Pattern.compile("(Pause [^(]*(?:\\([^)]*\\)\\s*)*).*?([0-9.]+)ms\\s*$");

  record Pause(String kind, double millis) {}

  private GcLog() {}

  static int lines(Path log) {
    try {
      return Files.isRegularFile(log) ? Files.readAllLines(log).size() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  static List<Pause> pauses(Path log, int afterLine) {
    List<Pause> pauses = new ArrayList<>();
    try {
      List<String> lines = Files.isRegularFile(log) ? Files.readAllLines(log) : List.of();
      for (String line : lines.subList(Math.min(afterLine, lines.size()), lines.size())) {
        Matcher m = PAUSE.matcher(line);
        if (m.find()) {
          pauses.add(new Pause(m.group(1).trim(), Double.parseDouble(m.group(2))));
        }
      }
    } catch (IOException e) {
      return pauses;
    }
    return pauses;
  }

  static String summary(List<Pause> pauses) {
    if (pauses.isEmpty()) {
      return "no pause";
    }
    double total = pauses.stream().mapToDouble(Pause::millis).sum();
    double max = pauses.stream().mapToDouble(Pause::millis).max().orElse(0);
    return pauses.size() + " pauses (" + pauses.get(0).kind() + (pauses.stream()
        .map(Pause::kind).distinct().count() > 1 ? ", ..." : "") + "), total "
        + Stats.format(total, 1) + " ms, max " + Stats.format(max, 2) + " ms";
  }
}
