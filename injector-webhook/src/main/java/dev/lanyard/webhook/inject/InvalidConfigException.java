package dev.lanyard.webhook.inject;

/** The injector configuration is unusable; the message names the key, the value and the fix. */
public final class InvalidConfigException extends RuntimeException {
  public InvalidConfigException(String message) {
    super(message);
  }
}
