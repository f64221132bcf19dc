package dev.lanyard.testkit;

/** A child JVM for JvmProcessIT: prints its uid, an env var and its JVM arguments, then exits 3. */
public final class PrintIdentityMain {
  private PrintIdentityMain() {}

  public static void main(String[] args) {
    System.out.println("uid=" + Command.currentUid());
    System.out.println("GREETING=" + System.getenv("GREETING"));
    System.out.println("JAVA_TOOL_OPTIONS=" + System.getenv("JAVA_TOOL_OPTIONS"));
    System.out.println("args=" + String.join(",", args));
    System.exit(3);
  }
}
