package dev.lanyard.tls;

/**
 * No JWT-SVID could be had for an audience within the bounded wait. The message starts with
 * {@code lanyard:} and says what to check (the Workload API address, the last error).
 */
public final class JwtSvidUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  public JwtSvidUnavailableException(String message) {
    super(message);
  }
}
