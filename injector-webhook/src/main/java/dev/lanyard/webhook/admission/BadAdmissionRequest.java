package dev.lanyard.webhook.admission;

/** A request the webhook cannot answer as an AdmissionReview: HTTP 400 with this message. */
final class BadAdmissionRequest extends Exception {
  private final String reason;

  /**
   * @param reason snake_case, for the metric label
   */
  BadAdmissionRequest(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}
