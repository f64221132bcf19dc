package dev.lanyard.bench;

/** A JVM that does nothing: the memory floor of the JVM itself under the sidecar's flags. */
public final class IdleJvm {
  private IdleJvm() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("LISTENING port=0");
    Thread.sleep(Long.MAX_VALUE);
  }
}
