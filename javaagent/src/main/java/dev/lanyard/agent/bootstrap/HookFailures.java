package dev.lanyard.agent.bootstrap;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One ERROR line per failing hook, the first time that hook fails: a failure of one hook never
 * hides the failure of another (one global flag did), and a hook failing on every handshake does
 * not flood the log. Part of the bridge, so Java 8 and JDK types only.
 */
final class HookFailures {
  private static final ConcurrentHashMap<String, Boolean> REPORTED = new ConcurrentHashMap<>();

  private HookFailures() {}

  /**
   * @param hook the bridge method that failed
   * @param consequence what Lanyard does instead, in a few words
   */
  static void report(String hook, String consequence, Throwable failure) {
    if (REPORTED.putIfAbsent(hook, Boolean.TRUE) == null) {
      System.err.println("lanyard: ERROR the " + hook + " hook failed (" + failure + "); "
          + consequence + "; later failures of this hook are not logged again");
    }
  }
}
