package dev.lanyard.agent;

import dev.lanyard.tls.Identity;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.LanyardTls;
import dev.lanyard.tls.NoSvidException;
import dev.lanyard.tls.TerminationMessage;
import java.time.Duration;
import java.util.Optional;

/**
 * Waits, on a daemon thread, for the first SVID within the startup policy's wait, never holding
 * the application's main thread. It prints the javaagent's one start line when the SVID arrives;
 * when the wait runs out it stops the JVM ({@code then=fail}, exit code {@value #EXIT_NO_SVID})
 * or warns once that mesh TLS is refused until the SVID arrives ({@code then=degrade}), which then
 * needs no restart.
 */
final class StartupWatch {
  static final int EXIT_NO_SVID = 75;

  private StartupWatch() {}

  static void start(AgentRuntime runtime, String version) {
    Thread thread = new Thread(() -> watch(runtime, version), "lanyard-startup-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private static void watch(AgentRuntime runtime, String version) {
    long started = System.nanoTime();
    try {
      if (runtime.tls().awaitStartup() == LanyardTls.StartupState.DEGRADED) {
        runtime.awaitFirstSvid(Duration.ofDays(36500));
      }
    } catch (NoSvidException e) {
      String line = e.getMessage() + "; stopping the application (then=fail, exit " + EXIT_NO_SVID + ")";
      System.err.println(line);
      TerminationMessage.write(line);
      System.exit(EXIT_NO_SVID);
      return;
    }
    Optional<Identity> identity = runtime.identity();
    identity.ifPresent(svid -> LanyardLog.info("javaagent " + version + " ready: "
        + svid.spiffeId() + " from " + runtime.tls().svidSource().address() + " (serial "
        + svid.serialHex() + ", expires " + svid.notAfter() + ", first SVID after "
        + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms)"));
  }
}
