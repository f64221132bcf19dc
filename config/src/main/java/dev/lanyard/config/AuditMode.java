package dev.lanyard.config;

import java.util.Locale;

/** Which decisions {@code LANYARD_AUDIT} writes to stderr as audit records. */
public enum AuditMode {
  /** Every refusal and every would-be refusal in audit mode (the default). */
  DENY,
  /** Every decision. */
  ALL,
  /** None (the admin {@code /audit} endpoint still keeps recent records). */
  OFF;

  public static AuditMode parse(String text) {
    switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "deny":
        return DENY;
      case "all":
        return ALL;
      case "off":
        return OFF;
      default:
        throw new IllegalArgumentException("audit mode \"" + text + "\" is not one of deny, all,"
            + " off; set " + ConfigKeys.AUDIT.env() + "=deny (default), all or off");
    }
  }
}
