package dev.lanyard.earlytls;

import java.lang.instrument.Instrumentation;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Another javaagent, listed before Lanyard's: its premain keeps the JVM's TLS defaults and, when
 * given a URL as its argument, calls it once with each (so their session caches hold a session
 * made before Lanyard existed).
 */
public final class EarlyTlsAgent {
  /** What premain kept, by site and call; read later by the application. */
  public static final Map<String, Object> CAPTURED = new LinkedHashMap<>();

  private EarlyTlsAgent() {}

  public static void premain(String url, Instrumentation instrumentation) throws Exception {
    Captures.capture(CAPTURED, "agent");
    if (url != null && !url.isEmpty()) {
      CAPTURED.forEach((name, captured) ->
          System.out.println("PREMAIN " + Captures.get(name, captured, url, "webpki")));
    }
  }
}
