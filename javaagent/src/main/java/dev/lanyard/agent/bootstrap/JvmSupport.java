package dev.lanyard.agent.bootstrap;

/** Pure checks that decide, before anything is loaded, whether the javaagent runs in this JVM. */
final class JvmSupport {
  static final int MINIMUM_FEATURE = 11;

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
   * True for the JDK's own tools (keytool, jcmd, jps, jstack, jshell, javac, ...), which see the
   * same JAVA_TOOL_OPTIONS as the workload but make no mesh calls: {@code sun.java.command} names
   * their main class, which lives in a JDK package (optionally prefixed by its module).
   */
  static boolean isJdkTool(String javaCommand) {
    if (javaCommand == null || javaCommand.trim().isEmpty()) {
      return false;
    }
    String main = javaCommand.trim().split("\\s+")[0];
    int slash = main.indexOf('/');
    if (slash >= 0) {
      String module = main.substring(0, slash);
      if (module.startsWith("jdk.") || module.startsWith("java.")) {
        return true;
      }
      main = main.substring(slash + 1);
    }
    return main.startsWith("sun.") || main.startsWith("com.sun.") || main.startsWith("jdk.");
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
