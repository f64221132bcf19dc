package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppProbeTransitionsTest {
  private final List<String> lines = new ArrayList<>();
  private final AppProbeTransitions transitions =
      new AppProbeTransitions(line -> lines.add("WARN " + line), line -> lines.add("INFO " + line));

  @Test
  void logsEachChangeWithTheReasonAndStaysQuietInASteadyState() {
    String path = "/app-health/app/readyz";
    transitions.record(path, AdminEndpoints.Response.text(200, "ok\n"));
    transitions.record(path, AdminEndpoints.Response.text(200, "ok\n"));
    assertThat(lines).as("a first pass and a steady pass").isEmpty();

    transitions.record(path, AdminEndpoints.Response.text(503, "failed: gRPC health check of"
        + " service \"orders\" on port 9090 answered NOT_SERVING (only SERVING passes)\n"));
    transitions.record(path, AdminEndpoints.Response.text(503, "failed: again\n"));
    transitions.record(path, AdminEndpoints.Response.text(200, "ok\n"));

    assertThat(lines).containsExactly(
        "WARN application probe /app-health/app/readyz fails (the kubelet gets 503): failed: gRPC"
            + " health check of service \"orders\" on port 9090 answered NOT_SERVING (only"
            + " SERVING passes)",
        "INFO application probe /app-health/app/readyz passes again");
  }

  @Test
  void aFirstFailureIsLoggedAndEachProbeIsJudgedOnItsOwn() {
    transitions.record("/app-health/app/livez", AdminEndpoints.Response.text(200, "ok\n"));
    transitions.record("/app-health/app/startupz", AdminEndpoints.Response.text(503, "refused\n"));

    assertThat(lines).containsExactly(
        "WARN application probe /app-health/app/startupz fails (the kubelet gets 503): refused");
  }
}
