package dev.lanyard.webhook.cli.check;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A Lanyard process holds an X.509-SVID that is valid now and not near expiry, as its admin
 * endpoint's {@code /identity} reports it. SVIDs rotate at half their lifetime, so a healthy one
 * always has more than half of it left (bar the agent's sync delay); "near expiry" is less than a
 * third left, whatever TTL SPIRE issues: rotation is overdue and failing (the endpoint's {@code
 * last_error} says why).
 */
public final class SvidCheck {
  private SvidCheck() {}

  /**
   * @param process {@code pod/NAME container C}
   * @param identity the {@code /identity} JSON, null when it could not be read
   * @param unreachable why it could not be read, when {@code identity} is null
   */
  public static CheckResult check(
      String process, JsonNode identity, String unreachable, Instant now) {
    String subject = "SVID of " + process;
    if (identity == null) {
      return CheckResult.fail(
          subject,
          unreachable,
          "kubectl describe " + podOf(process) + " and its logs; the admin endpoint listens on the"
              + " port lanyard.dev/status names");
    }
    String lastError = identity.path("last_error").asText("");
    String because = lastError.isEmpty() ? "" : " (last error: " + lastError + ")";
    String spiffeId = identity.path("spiffe_id").asText("");
    String fixRegistration =
        "check that SPIRE registers the pod (lanyard check: ClusterSPIFFEID) and that the SPIRE"
            + " Agent on its node is healthy";
    if (spiffeId.isEmpty()) {
      return CheckResult.fail(subject, "no SVID yet" + because, fixRegistration);
    }
    Instant notBefore;
    Instant notAfter;
    try {
      notBefore = Instant.parse(identity.path("not_before").asText(""));
      notAfter = Instant.parse(identity.path("not_after").asText(""));
    } catch (DateTimeParseException e) {
      return CheckResult.fail(
          subject,
          "its validity (not_before \"" + identity.path("not_before").asText("")
              + "\", not_after \"" + identity.path("not_after").asText("") + "\") is not two times",
          "report this as a bug with the /identity answer");
    }
    if (!now.isBefore(notAfter)) {
      return CheckResult.fail(
          subject, spiffeId + " expired at " + notAfter + because, fixRegistration);
    }
    Duration left = Duration.between(now, notAfter);
    Duration lifetime = Duration.between(notBefore, notAfter);
    if (left.multipliedBy(3).compareTo(lifetime) < 0) {
      return CheckResult.fail(
          subject,
          spiffeId + " expires at " + notAfter + ", in " + Durations.human(left)
              + ", less than a third of its " + Durations.human(lifetime)
              + " lifetime: rotation, due at half of it, is failing" + because,
          fixRegistration);
    }
    return CheckResult.pass(
        subject + ": " + spiffeId + ", valid for " + Durations.human(left));
  }

  private static String podOf(String process) {
    int space = process.indexOf(' ');
    return space < 0 ? process : process.substring(0, space);
  }
}
