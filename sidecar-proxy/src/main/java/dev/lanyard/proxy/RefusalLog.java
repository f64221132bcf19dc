package dev.lanyard.proxy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Connections a mesh port refused before TLS (over the handshake budget): each is counted in
 * {@code lanyard_sidecar_connections_refused_total}, but at most one line per source address per
 * interval is written, saying how many more that address had refused since its previous line.
 * Such connections carry no identity, cost an attacker nothing to open, and get no access-log
 * line: a flood of them must not become a flood of log lines.
 */
final class RefusalLog {
  static final Duration INTERVAL = Duration.ofSeconds(10);
  /** Addresses tracked at once; beyond them (many addresses in one interval) they share a line. */
  static final int MAX_SOURCES = 1024;
  static final String OTHER_SOURCES = "other addresses";

  private final String listener;
  private final ConnectionMetrics metrics;
  private final Consumer<String> log;
  private final LongSupplier nanoTime;
  private final Map<String, Window> windows = new HashMap<>();

  /** When an address's last line was written, and what was refused from it since. */
  private static final class Window {
    long startNanos;
    long suppressed;

    Window(long startNanos) {
      this.startNanos = startNanos;
    }
  }

  RefusalLog(String listener, ConnectionMetrics metrics, Consumer<String> log, LongSupplier nanoTime) {
    this.listener = listener;
    this.metrics = metrics;
    this.log = log;
    this.nanoTime = nanoTime;
  }

  void refused(InetAddress source, HandshakeBudget.Refusal refusal) {
    metrics.refused(listener, refusal.code());
    String line = lineFor(source.getHostAddress(), refusal.sentence());
    if (line != null) {
      log.accept(line);
    }
  }

  /** The line to write for this refusal, or null inside the address's interval. */
  synchronized String lineFor(String source, String sentence) {
    long now = nanoTime.getAsLong();
    String key = source;
    if (!windows.containsKey(key) && windows.size() >= MAX_SOURCES) {
      windows.values().removeIf(window -> now - window.startNanos >= INTERVAL.toNanos());
      if (windows.size() >= MAX_SOURCES) {
        key = OTHER_SOURCES;
      }
    }
    Window window = windows.get(key);
    if (window != null && now - window.startNanos < INTERVAL.toNanos()) {
      window.suppressed++;
      return null;
    }
    long earlier = window == null ? 0 : window.suppressed;
    windows.put(key, new Window(now));
    return "refused a connection from " + source + " to " + listener + " before TLS: " + sentence
        + (earlier == 0 ? "" : "; " + earlier + " more refused from "
            + (key.equals(OTHER_SOURCES) ? "addresses beyond the first " + MAX_SOURCES : "this address")
            + " since the previous line")
        + " (at most one line per address every " + INTERVAL.toSeconds() + " s; every refusal is"
        + " counted in lanyard_sidecar_connections_refused_total)";
  }
}
