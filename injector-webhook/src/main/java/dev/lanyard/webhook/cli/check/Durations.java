package dev.lanyard.webhook.cli.check;

import java.time.Duration;

/** Durations as people read them: 3d4h, 2h5m, 42m, 17s. */
final class Durations {
  private Durations() {}

  static String human(Duration duration) {
    long seconds = Math.max(0, duration.getSeconds());
    long days = seconds / 86_400;
    long hours = seconds % 86_400 / 3_600;
    long minutes = seconds % 3_600 / 60;
    if (days > 0) {
      return days + "d" + (hours > 0 ? hours + "h" : "");
    }
    if (hours > 0) {
      return hours + "h" + (minutes > 0 ? minutes + "m" : "");
    }
    return minutes > 0 ? minutes + "m" : seconds + "s";
  }
}
