package dev.lanyard.tls;

/**
 * There is no X.509-SVID to present and the startup wait is over. Unchecked because it is thrown
 * from key manager methods, which cannot declare checked exceptions; JSSE turns it into the
 * handshake failure's cause, so the operator sees {@code lanyard: no X.509-SVID ...}.
 */
public final class NoSvidException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  NoSvidException(String message) {
    super(message);
  }
}
