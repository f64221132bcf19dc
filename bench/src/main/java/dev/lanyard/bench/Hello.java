package dev.lanyard.bench;

/**
 * The trivial workload of the start-up benchmark: prints one line and exits. Timing it with and
 * without {@code -javaagent} isolates what the javaagent itself costs a JVM that makes no TLS call
 * (the SVID is fetched on a background thread, so this does not wait for SPIRE).
 */
public final class Hello {
  private Hello() {}

  public static void main(String[] args) {
    System.out.println("hello");
  }
}
