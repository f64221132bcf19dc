package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.annotation.JsonValue;

/** What one app container got. */
public enum ContainerMode {
  /** The javaagent in its JVM, plus the socket. */
  JAVAAGENT("javaagent"),
  /** Its traffic goes through the pod's sidecar; it gets the socket too. */
  SIDECAR("sidecar"),
  /**
   * Runtime unknown: the javaagent through {@code JAVA_TOOL_OPTIONS} (read by any JVM the
   * container starts, ignored by everything else) and the sidecar's proxy variables (ignored by
   * a JVM's own HTTP clients), so whichever runs gets mTLS.
   */
  JAVAAGENT_AND_SIDECAR("javaagent+sidecar"),
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

  /** Whether the container gets the javaagent. */
  public boolean javaagent() {
    return this == JAVAAGENT || this == JAVAAGENT_AND_SIDECAR;
  }

  /** Whether the container's traffic is sent through the sidecar. */
  public boolean sidecar() {
    return this == SIDECAR || this == JAVAAGENT_AND_SIDECAR;
  }
}
