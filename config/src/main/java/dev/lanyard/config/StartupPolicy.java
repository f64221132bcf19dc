package dev.lanyard.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * What the javaagent or sidecar does when no X.509-SVID has arrived: wait at most {@link #waitFor()}
 * (measured from start), then {@link AfterWait#FAIL fail} or {@link AfterWait#DEGRADE degrade}
 * (keep running; mesh TLS fails with an error naming Lanyard until the SVID arrives). Never an
 * unbounded wait: java-spiffe's own default waits forever.
 *
 * <p>Syntax ({@code LANYARD_STARTUP}, annotation {@code lanyard.dev/startup}): {@code
 * wait=<duration>,then=fail|degrade}, either part optional; default {@code wait=30s,then=fail}.
 */
public final class StartupPolicy {
  /** What happens when the wait is over without an SVID. */
  public enum AfterWait {
    /** The javaagent or sidecar stops the process with a message naming the cause. */
    FAIL,
    /** The process keeps running; readiness is 503 and mesh TLS fails until the SVID arrives. */
    DEGRADE
  }

  public static final StartupPolicy DEFAULT = new StartupPolicy(Duration.ofSeconds(30), AfterWait.FAIL);

  private static final String SYNTAX =
      "write wait=<duration>,then=fail|degrade, e.g. wait=30s,then=fail";

  private final Duration waitFor;
  private final AfterWait afterWait;

  public StartupPolicy(Duration waitFor, AfterWait afterWait) {
    if (waitFor.isNegative()) {
      throw new IllegalArgumentException("startup wait must not be negative: " + waitFor);
    }
    this.waitFor = waitFor;
    this.afterWait = Objects.requireNonNull(afterWait, "afterWait");
  }

  /** Parses {@code wait=30s,then=degrade}; an empty text gives {@link #DEFAULT}. */
  public static StartupPolicy parse(String text) {
    if (text.trim().isEmpty()) {
      return DEFAULT;
    }
    Duration waitFor = null;
    AfterWait afterWait = null;
    for (String part : text.split(",", -1)) {
      String item = part.trim();
      int equals = item.indexOf('=');
      if (equals < 0) {
        throw new IllegalArgumentException("startup policy \"" + text + "\": \"" + item
            + "\" is not key=value; " + SYNTAX);
      }
      String key = item.substring(0, equals).trim().toLowerCase(Locale.ROOT);
      String value = item.substring(equals + 1).trim();
      if (key.equals("wait")) {
        if (waitFor != null) {
          throw duplicate(text, key);
        }
        waitFor = Durations.parse(value, "startup policy \"" + text + "\": wait");
      } else if (key.equals("then")) {
        if (afterWait != null) {
          throw duplicate(text, key);
        }
        afterWait = parseAfterWait(text, value);
      } else {
        throw new IllegalArgumentException("startup policy \"" + text + "\": unknown key \"" + key
            + "\" (only wait and then are known); " + SYNTAX);
      }
    }
    return new StartupPolicy(waitFor == null ? DEFAULT.waitFor : waitFor,
        afterWait == null ? DEFAULT.afterWait : afterWait);
  }

  private static AfterWait parseAfterWait(String text, String value) {
    switch (value.toLowerCase(Locale.ROOT)) {
      case "fail":
        return AfterWait.FAIL;
      case "degrade":
        return AfterWait.DEGRADE;
      default:
        throw new IllegalArgumentException("startup policy \"" + text + "\": then=\"" + value
            + "\" is neither fail nor degrade; " + SYNTAX);
    }
  }

  private static IllegalArgumentException duplicate(String text, String key) {
    return new IllegalArgumentException("startup policy \"" + text + "\" sets " + key
        + " twice; " + SYNTAX);
  }

  public Duration waitFor() {
    return waitFor;
  }

  public AfterWait afterWait() {
    return afterWait;
  }

  /** The policy in its own syntax, e.g. {@code wait=30s,then=fail}. */
  @Override
  public String toString() {
    return "wait=" + Durations.format(waitFor) + ",then=" + afterWait.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof StartupPolicy)) {
      return false;
    }
    StartupPolicy that = (StartupPolicy) other;
    return waitFor.equals(that.waitFor) && afterWait == that.afterWait;
  }

  @Override
  public int hashCode() {
    return Objects.hash(waitFor, afterWait);
  }
}
