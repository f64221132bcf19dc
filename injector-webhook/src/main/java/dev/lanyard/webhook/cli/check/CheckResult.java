package dev.lanyard.webhook.cli.check;

/**
 * One line of {@code lanyard check}: what was checked and, when it failed, why and what to do.
 *
 * @param subject what holds (on ✔) or what was checked (on ✖), e.g. "Kubernetes v1.35.4"
 * @param reason on ✖, what is wrong, with the offending value; null on ✔
 * @param fix on ✖, what to do about it; null on ✔
 */
public record CheckResult(boolean ok, String subject, String reason, String fix) {
  public static final String PASS = "✔";
  public static final String FAIL = "✖";

  public static CheckResult pass(String subject) {
    return new CheckResult(true, subject, null, null);
  }

  public static CheckResult fail(String subject, String reason, String fix) {
    return new CheckResult(false, subject, reason, fix);
  }

  /** {@code ✔ subject}, or {@code ✖ subject: reason} and an indented {@code fix:} line. */
  public String render() {
    return ok ? PASS + " " + subject : FAIL + " " + subject + ": " + reason + "\n    fix: " + fix;
  }
}
