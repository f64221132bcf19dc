package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.annotation.JsonValue;

/** What one app container got. */
public enum ContainerMode {
  /** The javaagent in its JVM, plus the socket. */
  JAVAAGENT("javaagent"),
  /** Its traffic goes through the pod's sidecar; it gets the socket too. */
  SIDECAR("sidecar"),
  /** Only the Workload API socket (the workload speaks SPIFFE itself). */
  SOCKET("socket"),
  /** Nothing: see the container's skip reason. */
  SKIPPED("skipped");

  private final String wireName;

  ContainerMode(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  public boolean injected() {
    return this != SKIPPED;
  }
}
