package dev.lanyard.webhook.workload;

/** A manifest the CLI cannot read; the message names the source, the place and the problem. */
public final class InvalidManifestException extends RuntimeException {
  public InvalidManifestException(String message) {
    super(message);
  }
}
