package dev.lanyard.webhook.admission;

import java.nio.charset.StandardCharsets;

/** What the servlet writes back: a status, a content type and a body. */
public record HttpReply(int status, String contentType, byte[] body) {
  public static HttpReply text(int status, String message) {
    return new HttpReply(
        status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
  }

  static HttpReply json(byte[] body) {
    return new HttpReply(200, "application/json", body);
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
