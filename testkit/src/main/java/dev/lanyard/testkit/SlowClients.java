package dev.lanyard.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The slow-loris client of the admin-surface tests: connections that send one byte of a request
 * and then hold, plus a plain one-shot {@code GET} to time next to them. Raw sockets, so nothing
 * in between retries, pools or times out on the test's behalf.
 */
public final class SlowClients implements AutoCloseable {
  private final InetSocketAddress address;
  private final List<Socket> held;

  private SlowClients(InetSocketAddress address, List<Socket> held) {
    this.address = address;
    this.held = held;
  }

  /** Opens {@code count} connections to {@code address}, each sending {@code "G"} and no more. */
  public static SlowClients hold(InetSocketAddress address, int count) throws IOException {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.getOutputStream().write('G');
        socket.getOutputStream().flush();
        sockets.add(socket);
      }
    } catch (IOException e) {
      for (Socket socket : sockets) {
        socket.close();
      }
      throw e;
    }
    return new SlowClients(address, sockets);
  }

  /**
   * Waits until the server has closed every held connection, at most {@code within} in all.
   *
   * @throws AssertionError naming how many were still open, or answered instead of closed
   */
  public void awaitClosedByServer(Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    int open = 0;
    for (Socket socket : held) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      try {
        int read = socket.getInputStream().read();
        if (read >= 0) {
          throw new AssertionError("a held connection to " + address + " got an answer ("
              + (char) read + "...) instead of being closed");
        }
      } catch (SocketTimeoutException e) {
        open++;
      } catch (IOException e) {
        // reset: closed by the server
      }
    }
    if (open > 0) {
      throw new AssertionError(open + " of " + held.size() + " connections to " + address
          + " that sent one byte were still open after " + within.toMillis() + " ms");
    }
  }

  @Override
  public void close() throws IOException {
    for (Socket socket : held) {
      socket.close();
    }
  }

  /** One {@code GET path} on a fresh connection, read to the server's close. */
  public static Answer get(InetSocketAddress address, String path, Duration timeout)
      throws IOException {
    long start = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.connect(address, (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString()
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          out.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("GET " + path + " on " + address + " not answered within "
            + timeout.toMillis() + " ms; so far: " + out.toString(StandardCharsets.ISO_8859_1), e);
      }
      return new Answer(out.toString(StandardCharsets.ISO_8859_1),
          Duration.ofNanos(System.nanoTime() - start));
    }
  }

  /** A raw HTTP answer and how long it took. */
  public record Answer(String text, Duration took) {
    public int status() {
      return text.startsWith("HTTP/1.") && text.length() >= 12
          ? Integer.parseInt(text.substring(9, 12)) : -1;
    }

    public String body() {
      int end = text.indexOf("\r\n\r\n");
      return end < 0 ? "" : text.substring(end + 4);
    }
  }
}
