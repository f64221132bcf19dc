package dev.lanyard.tls;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One log line each time a moved application probe changes between passing and failing, with
 * the reason: the kubelet's event says only "HTTP probe failed with statuscode: 503", never the
 * body, so without this line {@code kubectl logs} would not say why a pod went unready. Steady
 * states stay quiet (a probe runs every few seconds); the first failure is logged, the first pass
 * is not.
 */
final class AppProbeTransitions {
  private final Consumer<String> warn;
  private final Consumer<String> info;
  private final Map<String, Boolean> passing = new HashMap<>();

  AppProbeTransitions(Consumer<String> warn, Consumer<String> info) {
    this.warn = warn;
    this.info = info;
  }

  /** Notes the answer of the probe at {@code path} and logs when it changed. */
  void record(String path, AdminEndpoints.Response answer) {
    boolean passes = answer.status == 200;
    Boolean before;
    synchronized (passing) {
      before = passing.put(path, passes);
    }
    if (passes && Boolean.FALSE.equals(before)) {
      info.accept("application probe " + path + " passes again");
    } else if (!passes && !Boolean.FALSE.equals(before)) {
      warn.accept("application probe " + path + " fails (the kubelet gets " + answer.status
          + "): " + new String(answer.body, StandardCharsets.UTF_8).strip());
    }
  }
}
