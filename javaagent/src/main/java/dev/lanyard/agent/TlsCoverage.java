package dev.lanyard.agent;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What {@code /identity} says about the javaagent's reach into the JVM's TLS: the SSLContexts that
 * were initialised before the hooks and adopted at their next use ({@code early_tls_contexts}),
 * and what Lanyard knows it could not hook ({@code uncovered}: a TLS class it failed to
 * instrument, or one that loaded before the hooks were ready), and the native transports a
 * framework was steered away from ({@code native_transports_steered}, plaintext upgrade). Each
 * entry is also one log line.
 * Both lists are bounded; what is left off is counted.
 */
final class TlsCoverage {
  static final int MAX_ENTRIES = 20;

  private final Clock clock;
  private final List<Map<String, Object>> early = new ArrayList<>();
  private final List<Map<String, Object>> uncovered = new ArrayList<>();
  private final List<Map<String, Object>> steered = new ArrayList<>();
  private final AtomicInteger earlyLeftOff = new AtomicInteger();
  private final AtomicInteger uncoveredLeftOff = new AtomicInteger();
  private final AtomicInteger steeredLeftOff = new AtomicInteger();

  TlsCoverage(Clock clock) {
    this.clock = clock;
  }

  /** An SSLContext initialised before the hooks now holds Lanyard's managers. */
  void adopted(String context, String firstUsedBy, int sessionsDropped) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("context", context);
    entry.put("adopted_at", clock.instant().toString());
    entry.put("first_used_by", firstUsedBy);
    entry.put("sessions_dropped", sessionsDropped);
    add(early, earlyLeftOff, entry);
  }

  /** TLS through {@code what} does not get the SVID or the SPIFFE checks, because of {@code why}. */
  void uncovered(String what, String why) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("what", what);
    entry.put("why", why);
    entry.put("since", clock.instant().toString());
    add(uncovered, uncoveredLeftOff, entry);
  }

  /**
   * {@code askedBy} asked {@code availability.isAvailable()} and was told false, so it runs on the
   * JDK NIO transport, whose sockets the plaintext upgrade reaches.
   */
  void steered(String availability, String askedBy) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("availability", availability);
    entry.put("asked_by", askedBy);
    entry.put("since", clock.instant().toString());
    add(steered, steeredLeftOff, entry);
  }

  /** The fields {@code /identity} ends with. */
  Map<String, Object> identityFields() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("early_tls_contexts", snapshot(early));
    if (earlyLeftOff.get() > 0) {
      fields.put("early_tls_contexts_left_off", earlyLeftOff.get());
    }
    fields.put("uncovered", snapshot(uncovered));
    if (uncoveredLeftOff.get() > 0) {
      fields.put("uncovered_left_off", uncoveredLeftOff.get());
    }
    List<Map<String, Object>> steeredNow = snapshot(steered);
    if (!steeredNow.isEmpty()) {
      fields.put("native_transports_steered", steeredNow);
    }
    if (steeredLeftOff.get() > 0) {
      fields.put("native_transports_steered_left_off", steeredLeftOff.get());
    }
    return fields;
  }

  private static void add(List<Map<String, Object>> list, AtomicInteger leftOff,
      Map<String, Object> entry) {
    synchronized (list) {
      if (list.size() < MAX_ENTRIES) {
        list.add(entry);
        return;
      }
    }
    leftOff.incrementAndGet();
  }

  private static List<Map<String, Object>> snapshot(List<Map<String, Object>> list) {
    synchronized (list) {
      return new ArrayList<>(list);
    }
  }
}
