package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import java.util.Objects;

/**
 * Something the pod's owner should know although injection went ahead (or a container was left
 * out). {@code reason} gives the stable code; {@code message} says what, the value and the fix.
 */
public record InjectionWarning(Reason reason, String message) {
  public InjectionWarning {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
  }

  /** The reason's snake_case code, as reports and the CLI print it. */
  public String code() {
    return reason.code();
  }
}
