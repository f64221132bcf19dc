package dev.lanyard.earlytls;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An application that keeps the JVM's TLS defaults in its main class's static initializer, then
 * calls a mesh server and a Web PKI server (whose host must be mesh) with everything it and
 * {@link EarlyTlsAgent} kept, every 250 ms, until each kept object reached the mesh server or
 * the deadline passed, then waits to be stopped. Args: mesh URL, Web PKI URL, deadline in seconds.
 */
public final class EarlyCaptureApp {
  private static final Map<String, Object> CAPTURED = new LinkedHashMap<>();

  static {
    try {
      Captures.capture(CAPTURED, "static");
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private EarlyCaptureApp() {}

  public static void main(String[] args) throws Exception {
    String mesh = args[0];
    String webPki = args[1];
    long deadline = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
    Map<String, Object> all = new LinkedHashMap<>(EarlyTlsAgent.CAPTURED);
    all.putAll(CAPTURED);
    System.out.println("MAIN captures=" + all.size());
    Set<String> reached = new HashSet<>();
    int rounds = 0;
    while (reached.size() < all.size() && System.nanoTime() < deadline) {
      rounds++;
      for (Map.Entry<String, Object> kept : all.entrySet()) {
        System.out.println(Captures.get(kept.getKey(), kept.getValue(), webPki, "webpki"));
        if (!reached.contains(kept.getKey())) {
          String line = Captures.get(kept.getKey(), kept.getValue(), mesh, "mesh");
          System.out.println(line);
          if (line.startsWith("OK ")) {
            reached.add(kept.getKey());
          }
        }
      }
      Thread.sleep(250);
    }
    System.out.println("DONE reached=" + reached.size() + "/" + all.size() + " rounds=" + rounds);
    // Stays up (its admin endpoint too) until the test stops it.
    Thread.sleep(Long.MAX_VALUE);
  }
}
