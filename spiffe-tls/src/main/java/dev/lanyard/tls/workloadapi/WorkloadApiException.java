package dev.lanyard.tls.workloadapi;

/**
 * A Workload API call that ended without an answer: its message is the gRPC status line
 * ({@code "UNAVAILABLE: connection refused"}), the status is {@link #status()}.
 */
public final class WorkloadApiException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient GrpcStatus status;

  public WorkloadApiException(GrpcStatus status) {
    super(status.toString());
    this.status = status;
  }

  public WorkloadApiException(GrpcStatus status, Throwable cause) {
    super(status.toString(), cause);
    this.status = status;
  }

  public GrpcStatus status() {
    return status;
  }
}
