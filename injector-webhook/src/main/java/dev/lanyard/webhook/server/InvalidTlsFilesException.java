package dev.lanyard.webhook.server;

/** The serving certificate or key files are unusable; the message names the file and the fix. */
public final class InvalidTlsFilesException extends RuntimeException {
  public InvalidTlsFilesException(String message) {
    super(message);
  }
}
