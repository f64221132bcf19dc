package dev.lanyard.webhook.cli;

import java.io.IOException;

/** Reaches a Lanyard admin endpoint inside a pod (by port-forward in real use). */
interface AdminEndpoint {
  /**
   * The body of {@code GET path} on {@code 127.0.0.1:port} inside the pod; IOException for anything
   * but 200.
   */
  String get(String namespace, String pod, int port, String path) throws IOException;
}
