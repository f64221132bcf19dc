package dev.lanyard.webhook.cli;

/** A problem with what the user asked for (a file, a name, a flag); the message says what to do. */
final class UserError extends RuntimeException {
  UserError(String message) {
    super(message);
  }
}
