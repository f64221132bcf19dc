package dev.lanyard.agent.bootstrap;

/** Pure checks that decide, before anything is loaded, whether the javaagent runs in this JVM. */
final class JvmSupport {
  static final int MINIMUM_FEATURE = 11;

  /** The package of the source-file launcher ({@code java App.java}), in module jdk.compiler. */
  static final String SOURCE_LAUNCHER_PACKAGE = "com.sun.tools.javac.launcher.";

  private JvmSupport() {}

  /** Null when this Java version is supported, else a sentence saying why not. */
  static String whyUnsupported(String specificationVersion) {
    int feature = feature(specificationVersion);
    if (feature < MINIMUM_FEATURE) {
      return "Java " + specificationVersion + " is older than " + MINIMUM_FEATURE
          + ", the oldest Java Lanyard supports";
    }
    return null;
  }

  /** The feature release: "1.8" is 8, "17" is 17, "25.0.1" is 25; unknown is 0. */
  static int feature(String specificationVersion) {
    if (specificationVersion == null) {
      return 0;
    }
    String version = specificationVersion.startsWith("1.")
        ? specificationVersion.substring(2) : specificationVersion;
    int end = 0;
    while (end < version.length() && Character.isDigit(version.charAt(end))) {
      end++;
    }
    return end == 0 ? 0 : Integer.parseInt(version.substring(0, end));
  }

  /**
   * The JDK tool this JVM runs (keytool, jcmd, jps, jshell, javac, jar, ...), or null for an
   * application. Tools see the same JAVA_TOOL_OPTIONS as the workload but make no mesh calls. Since
   * Java 9 their launchers start the main class from its JDK module, so {@code sun.java.command}
   * reads {@code module/class}, with a {@code java.} or {@code jdk.} module; that is the only
   * thing taken for a tool (an application's own {@code com.sun.*} main class, GlassFish's say, is
   * an application). One JDK "tool" is an application: the source-file launcher of
   * {@code java App.java} (JEP 330/458: {@code com.sun.tools.javac.launcher.Main} up to Java 21,
   * {@code SourceLauncher} from 22) runs the program in that file.
   */
  static String jdkTool(String javaCommand) {
    if (javaCommand == null || javaCommand.trim().isEmpty()) {
      return null;
    }
    String main = javaCommand.trim().split("\\s+")[0];
    int slash = main.indexOf('/');
    if (slash < 0) {
      return null;
    }
    String module = main.substring(0, slash);
    if (!module.startsWith("jdk.") && !module.startsWith("java.")) {
      return null;
    }
    if (main.substring(slash + 1).startsWith(SOURCE_LAUNCHER_PACKAGE)) {
      return null;
    }
    return main;
  }

  /** The platform class loader (Java 9+), found reflectively because this class is Java 8. */
  static ClassLoader platformClassLoader() {
    try {
      return (ClassLoader) ClassLoader.class.getMethod("getPlatformClassLoader").invoke(null);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }
}
