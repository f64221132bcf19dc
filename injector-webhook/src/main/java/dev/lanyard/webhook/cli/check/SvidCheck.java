package dev.lanyard.webhook.cli.check;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A Lanyard process holds an X.509-SVID that is valid now and for at least {@code minRemaining}
 * more, as its admin endpoint's {@code /identity} reports it. SVIDs rotate at half their lifetime,
 * so one close to expiry means rotation has been failing (the endpoint's {@code last_error} says
 * why).
 */
public final class SvidCheck {
  private SvidCheck() {}

  /**
   * @param process {@code pod/NAME container C}
   * @param identity the {@code /identity} JSON, null when it could not be read
   * @param unreachable why it could not be read, when {@code identity} is null
   */
  public static CheckResult check(
      String process, JsonNode identity, String unreachable, Instant now, Duration minRemaining) {
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
    Instant notAfter;
    try {
      notAfter = Instant.parse(identity.path("not_after").asText(""));
    } catch (DateTimeParseException e) {
      return CheckResult.fail(
          subject,
          "its not_after \"" + identity.path("not_after").asText("") + "\" is not a time",
          "report this as a bug with the /identity answer");
    }
    if (!now.isBefore(notAfter)) {
      return CheckResult.fail(
          subject, spiffeId + " expired at " + notAfter + because, fixRegistration);
    }
    Duration left = Duration.between(now, notAfter);
    if (left.compareTo(minRemaining) < 0) {
      return CheckResult.fail(
          subject,
          spiffeId + " expires at " + notAfter + ", in " + Durations.human(left)
              + " (less than " + Durations.human(minRemaining) + "): rotation is failing"
              + because,
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
