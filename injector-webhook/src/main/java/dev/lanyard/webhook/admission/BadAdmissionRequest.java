package dev.lanyard.webhook.admission;

import dev.lanyard.reasons.Reason;
/** A request the webhook cannot answer as an AdmissionReview: HTTP 400 with this message. */
final class BadAdmissionRequest extends Exception {
  private final Reason reason;

  /**
   * @param reason for the metric label
   */
  BadAdmissionRequest(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  Reason reason() {
    return reason;
  }
}
