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
 *   <li>JDK tools started with the same {@code JAVA_TOOL_OPTIONS} (keytool, jcmd, jps, ...) are
 *       skipped quietly;
 *   <li>it has the bridge classes defined in the bootstrap class loader (so advice inlined into
 *       JDK classes can reach {@link LanyardBridge}), then hands off to the installer in an
 *       isolated {@link AgentClassLoader};
 *   <li>it catches every {@code Throwable}, prints one {@code ERROR} line and never rethrows.
 * </ul>
 */
public final class LanyardPremain {
  static final String INJECTOR = "dev.lanyard.agent.BootstrapInjector";
  static final String INSTALLER = "dev.lanyard.agent.AgentInstaller";

  private LanyardPremain() {}

  public static void premain(String agentArgs, Instrumentation instrumentation) {
    start(agentArgs, instrumentation, false);
  }

  public static void agentmain(String agentArgs, Instrumentation instrumentation) {
    start(agentArgs, instrumentation, true);
  }

  private static void start(String agentArgs, Instrumentation instrumentation, boolean late) {
    try {
      String unsupported = JvmSupport.whyUnsupported(System.getProperty("java.specification.version"));
      if (unsupported != null) {
        System.err.println("lanyard: javaagent not started: " + unsupported
            + "; the application runs without Lanyard");
        return;
      }
      if (JvmSupport.isJdkTool(System.getProperty("sun.java.command"))) {
        return;
      }
      File agentJar = agentJar();
      ClassLoader loader = new AgentClassLoader(agentJar, JvmSupport.platformClassLoader());
      // The bridge must be in the bootstrap loader before any class that refers to it is loaded.
      Class.forName(INJECTOR, true, loader)
          .getMethod("inject", Instrumentation.class, File.class)
          .invoke(null, instrumentation, agentJar);
      Class<?> installer = Class.forName(INSTALLER, true, loader);
      Method install = installer.getMethod(
          "install", Instrumentation.class, String.class, File.class, boolean.class);
      install.invoke(null, instrumentation, agentArgs, agentJar, late);
    } catch (Throwable t) {
      Throwable cause = t instanceof java.lang.reflect.InvocationTargetException && t.getCause() != null
          ? t.getCause() : t;
      System.err.println("lanyard: ERROR javaagent failed to start, the application runs without"
          + " Lanyard: " + cause);
    }
  }

  private static File agentJar() throws Exception {
    URL location = LanyardPremain.class.getProtectionDomain().getCodeSource().getLocation();
    return new File(location.toURI());
  }
}
