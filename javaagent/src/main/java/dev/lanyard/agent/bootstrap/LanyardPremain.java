package dev.lanyard.agent.bootstrap;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.net.URL;

/**
 * The javaagent's entry point ({@code Premain-Class} and {@code Agent-Class}). It does almost
 * nothing itself, so that it can never harm the host JVM:
 *
 * <ul>
 *   <li>compiled for Java 8, so that on a JVM older than 11 it prints one line and returns, and the
 *       application starts untouched (an agent class that cannot load would abort the JVM);
 *   <li>JDK tools started with the same {@code JAVA_TOOL_OPTIONS} (keytool, jcmd, jps, javac,
 *       ...) are skipped, with one line; a program run from source ({@code java App.java}) is an
 *       application and gets Lanyard;
 *   <li>whenever it steps aside (old Java, a JDK tool, a failure), it says so in one line on
 *       stderr, so no JVM runs without Lanyard unnoticed;
 *   <li>it has the bridge classes defined in the bootstrap class loader (so advice inlined into
 *       JDK classes can reach {@link LanyardBridge}), then hands off to the installer in an
 *       isolated {@link AgentClassLoader};
 *   <li>it catches every {@code Throwable} and never rethrows; a failure to start is handled as
 *       the startup policy says ({@code StartupFailure}): {@code then=fail}, the default, stops
 *       the JVM with exit code {@value #EXIT_AGENT_FAILED}, {@code then=degrade} runs the
 *       application without Lanyard, each with one {@code ERROR} line.
 * </ul>
 */
public final class LanyardPremain {
  static final String INJECTOR = "dev.lanyard.agent.BootstrapInjector";
  static final String INSTALLER = "dev.lanyard.agent.AgentInstaller";
  static final String BRIDGE = "dev.lanyard.agent.bootstrap.LanyardBridge";
  static final String FAILURE = "dev.lanyard.agent.StartupFailure";
  /** As {@code StartupFailure.EXIT_AGENT_FAILED}, for when that class cannot be loaded. */
  static final int EXIT_AGENT_FAILED = 70;

  private LanyardPremain() {}

  public static void premain(String agentArgs, Instrumentation instrumentation) {
    start(agentArgs, instrumentation, false);
  }

  public static void agentmain(String agentArgs, Instrumentation instrumentation) {
    start(agentArgs, instrumentation, true);
  }

  private static void start(String agentArgs, Instrumentation instrumentation, boolean late) {
    ClassLoader loader = null;
    try {
      String unsupported = JvmSupport.whyUnsupported(System.getProperty("java.specification.version"));
      if (unsupported != null) {
        System.err.println("lanyard: javaagent not started: " + unsupported
            + "; the application runs without Lanyard");
        return;
      }
      String tool = JvmSupport.jdkTool(System.getProperty("sun.java.command"));
      if (tool != null) {
        System.err.println("lanyard: javaagent not started: " + tool + " is a JDK tool, not an"
            + " application; it runs without Lanyard");
        return;
      }
      if (alreadyStarted()) {
        System.err.println("lanyard: javaagent not started again: it is already running in this"
            + " JVM (listed twice, e.g. in JAVA_TOOL_OPTIONS and on the command line?); this copy"
            + " steps aside");
        return;
      }
      File agentJar = agentJar();
      loader = new AgentClassLoader(agentJar, JvmSupport.platformClassLoader());
      // The bridge must be in the bootstrap loader before any class that refers to it is loaded.
      Class.forName(INJECTOR, true, loader)
          .getMethod("inject", Instrumentation.class, File.class)
          .invoke(null, instrumentation, agentJar);
      Class<?> installer = Class.forName(INSTALLER, true, loader);
      Method install = installer.getMethod(
          "install", Instrumentation.class, String.class, File.class, boolean.class);
      install.invoke(null, instrumentation, agentArgs, agentJar, late);
    } catch (Throwable t) {
      Throwable cause = t;
      while (cause instanceof java.lang.reflect.InvocationTargetException
          && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (late) {
        // Attached to a JVM that has been running without Lanyard: stopping it helps nobody.
        System.err.println("lanyard: ERROR javaagent failed to attach, the application runs on"
            + " without Lanyard: " + cause);
      } else {
        failed(loader, cause);
      }
    }
  }

  /**
   * Hands a start failure to {@code StartupFailure}, which reads the startup policy; when even
   * that cannot be loaded, the policy cannot be read, and an unreadable policy never asks for
   * degraded mode: the JVM stops.
   */
  private static void failed(ClassLoader loader, Throwable cause) {
    if (loader != null) {
      try {
        Class.forName(FAILURE, true, loader).getMethod("agentFailed", Throwable.class)
            .invoke(null, cause);
        return;
      } catch (Throwable unavailable) {
        // fall through: stop
      }
    }
    System.err.println("lanyard: ERROR javaagent failed to start, stopping the application"
        + " (its startup policy cannot be read, exit " + EXIT_AGENT_FAILED + "): " + cause);
    System.exit(EXIT_AGENT_FAILED);
  }

  /** Whether a copy of the agent has already put its bridge into the bootstrap class loader. */
  private static boolean alreadyStarted() {
    try {
      Class.forName(BRIDGE, false, null);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static File agentJar() throws Exception {
    URL location = LanyardPremain.class.getProtectionDomain().getCodeSource().getLocation();
    return new File(location.toURI());
  }
}
