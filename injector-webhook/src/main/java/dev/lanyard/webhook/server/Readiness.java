package dev.lanyard.webhook.server;

/**
 * Whether the webhook should receive admissions: true once it serves, false again from the moment
 * shutdown begins, so the Service stops routing to it before the listener closes.
 */
public final class Readiness {
  private volatile boolean ready;

  public boolean ready() {
    return ready;
  }

  void set(boolean value) {
    ready = value;
  }
}
