package dev.lanyard.agent;

import dev.lanyard.testkit.AuditRecords;
import dev.lanyard.testkit.JvmProcess;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Samples a JVM's /identity serial every 250 ms: each serial and when it first appeared. */
final class SerialWatch implements AutoCloseable {
  private static final Pattern SERIAL = Pattern.compile("\"serial\"\\s*:\\s*\"([0-9a-f]+)\"");

  private final Map<String, Instant> firstSeen = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean running = true;

  SerialWatch(String admin) {
    thread = new Thread(() -> {
      while (running) {
        try {
          Matcher serial = SERIAL.matcher(Admin.get(admin, "/identity").body());
          if (serial.find()) {
            firstSeen.putIfAbsent(serial.group(1), Instant.now());
          }
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          // a slow admin answer under load: sample again
        }
      }
    }, "serial-watch");
    thread.setDaemon(true);
    thread.start();
  }

  Instant firstSeen(String serial) {
    return firstSeen.get(serial);
  }

  /** The serials that replaced the one current when watching began, in order. */
  List<String> rotated() {
    List<String> order = inOrder();
    return order.isEmpty() ? order : order.subList(1, order.size());
  }

  /** The serials in the order they first appeared. */
  List<String> inOrder() {
    return firstSeen.entrySet().stream().sorted(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey).toList();
  }

  /** Per serial, first seen in /identity -> first full handshake of the peer with it. */
  Map<String, Optional<Duration>> delays(JvmProcess peer, String action) {
    Map<String, Optional<Duration>> delays = new LinkedHashMap<>();
    firstSeen.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(entry -> {
      Optional<Instant> used = AuditRecords.in(peer.output(), AuditRecords.action(action))
          .stream().filter(node -> entry.getKey().equals(node.path("peer_serial").asText()))
          .map(node -> Instant.parse(node.path("timestamp").asText())).min(Instant::compareTo);
      delays.put(entry.getKey().substring(0, 8),
          used.map(at -> Duration.between(entry.getValue(), at)));
    });
    return delays;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(5_000);
  }
}
