package dev.lanyard.agent;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.StartupPolicy;

/**
 * What the javaagent does when it cannot start: the startup policy's {@code then} decides, as it
 * does when no SVID arrives. {@code then=fail} (the default) stops the JVM with a documented exit
 * code, so that no workload runs without the enforcement it was given; {@code then=degrade} is the
 * operator's choice of availability: the application runs without Lanyard, said in one ERROR line.
 * A startup policy that cannot be read cannot ask for degraded mode.
 */
public final class StartupFailure {
  /** An invalid {@code LANYARD_*} setting (sysexits' EX_CONFIG). */
  public static final int EXIT_INVALID_CONFIGURATION = 78;
  /** The javaagent itself failed to start: premain or its start thread (sysexits' EX_SOFTWARE). */
  public static final int EXIT_AGENT_FAILED = 70;

  private StartupFailure() {}

  static void invalidConfiguration(IllegalArgumentException problem) {
    stopUnlessDegraded("invalid configuration", problem.getMessage(), EXIT_INVALID_CONFIGURATION);
  }

  /** Called by the start thread and, reflectively, by {@code LanyardPremain}. */
  public static void agentFailed(Throwable failure) {
    stopUnlessDegraded("javaagent failed to start", String.valueOf(failure), EXIT_AGENT_FAILED);
  }

  private static void stopUnlessDegraded(String what, String detail, int exitCode) {
    if (degradeAllowed()) {
      System.err.println("lanyard: ERROR " + what + ", the application runs WITHOUT Lanyard"
          + " (then=degrade): " + detail);
      return;
    }
    String line = "lanyard: ERROR " + what + ", stopping the application (then=fail, exit "
        + exitCode + "): " + detail;
    System.err.println(line);
    dev.lanyard.tls.TerminationMessage.write(line);
    System.exit(exitCode);
  }

  static boolean degradeAllowed() {
    try {
      StartupPolicy policy = ConfigKeys.STARTUP.lookup(System.getenv(), System.getProperties())
          .map(StartupPolicy::parse).orElse(StartupPolicy.DEFAULT);
      return policy.afterWait() == StartupPolicy.AfterWait.DEGRADE;
    } catch (RuntimeException unparseable) {
      return false; // an unreadable startup policy cannot ask for degraded mode
    }
  }
}
