package dev.lanyard.tls;

/** Which side of the connection the workload is on. */
public enum Direction {
  /** The workload accepted the connection (server side; the peer is a client). */
  INBOUND("inbound", "tls.accept"),
  /** The workload opened the connection (client side; the peer is a server). */
  OUTBOUND("outbound", "tls.connect");

  private final String label;
  private final String auditAction;

  Direction(String label, String auditAction) {
    this.label = label;
    this.auditAction = auditAction;
  }

  /** {@code inbound} or {@code outbound}, as written in messages and metrics. */
  public String label() {
    return label;
  }

  /** The audit record's {@code action}: {@code tls.accept} or {@code tls.connect}. */
  public String auditAction() {
    return auditAction;
  }
}
