package dev.lanyard.agent.upgrade;

import dev.lanyard.tls.LanyardLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Answers a plain HTTP client that Lanyard refuses (inbound 403, outbound 502) with the reason as
 * the body, then drains what it sent: closing with unread bytes would reset the connection before
 * the client read the answer.
 */
final class HttpRefusal {
  private HttpRefusal() {}

  /** @param status the status line's code and phrase, e.g. {@code "403 Forbidden"} */
  static void answer(Socket connection, InputStream in, String status, String message) {
    byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
    try {
      OutputStream out = connection.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      connection.shutdownOutput();
      // Read what the client sent until it closes, at most a second.
      connection.setSoTimeout(1000);
      byte[] sink = new byte[4096];
      long deadline = System.nanoTime() + 1_000_000_000L;
      while (System.nanoTime() < deadline && in.read(sink) >= 0) {
        // discard
      }
    } catch (IOException e) {
      LanyardLog.debug("answering a refused plain HTTP client: " + e);
    }
  }
}
