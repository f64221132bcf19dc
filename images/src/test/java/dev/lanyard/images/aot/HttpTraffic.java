package dev.lanyard.images.aot;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The training workload: HTTP/1.1 through the sidecar's outbound listener, alternating phases of
 * kept-alive connections and of a new connection per request (each a full mTLS handshake between
 * the sidecar's outbound and inbound sides) on two threads, plus reads of the admin endpoint.
 */
final class HttpTraffic {
  private HttpTraffic() {
  }

  /** Runs for {@code duration}; returns the requests answered 200; fails on any other answer. */
  static long run(int port, int adminPort, Duration duration) throws Exception {
    AtomicLong ok = new AtomicLong();
    long end = System.nanoTime() + duration.toNanos();
    long phase = Math.max(duration.toNanos() / 6, 500_000_000L);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread thread = new Thread(() -> {
        try {
          boolean keepAlive = true;
          while (System.nanoTime() < end) {
            long phaseEnd = Math.min(end, System.nanoTime() + phase);
            if (keepAlive) {
              try (Socket socket = new Socket("127.0.0.1", port)) {
                while (System.nanoTime() < phaseEnd) {
                  exchange(socket, "/kept", false);
                  ok.incrementAndGet();
                }
              }
            } else {
              while (System.nanoTime() < phaseEnd) {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                  exchange(socket, "/new", true);
                  ok.incrementAndGet();
                }
              }
            }
            keepAlive = !keepAlive;
          }
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
        }
      }, "aot-training-traffic-" + t);
      thread.start();
      threads.add(thread);
    }
    for (String path : List.of("/ready", "/metrics", "/identity")) {
      try (Socket socket = new Socket("127.0.0.1", adminPort)) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: training\r\n"
            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getInputStream().readAllBytes();
      }
    }
    for (Thread thread : threads) {
      thread.join();
    }
    if (!failures.isEmpty()) {
      IllegalStateException failed = new IllegalStateException("the training traffic failed after "
          + ok.get() + " requests: " + failures.get(0));
      failures.forEach(failed::addSuppressed);
      throw failed;
    }
    return ok.get();
  }

  /** One request and its response (status 200, body by Content-Length). */
  private static void exchange(Socket socket, String path, boolean close) throws IOException {
    socket.setSoTimeout(10_000);
    OutputStream out = socket.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: training\r\n"
        + (close ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = new BufferedInputStream(socket.getInputStream());
    String head = head(in);
    if (!head.startsWith("HTTP/1.1 200")) {
      throw new IOException("GET " + path + " through the sidecar answered: " + head);
    }
    int length = contentLength(head);
    if (in.readNBytes(length).length != length) {
      throw new IOException("GET " + path + ": the body ended before " + length + " bytes");
    }
  }

  private static String head(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int b;
    while ((b = in.read()) != -1) {
      head.append((char) b);
      if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
        return head.toString();
      }
    }
    throw new IOException("the connection closed inside a response head: " + head);
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
        return Integer.parseInt(line.substring(colon + 1).trim());
      }
    }
    return 0;
  }
}
