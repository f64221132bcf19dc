package dev.lanyard.proxy.soak;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * One long-lived connection to an echo server: a writer sends pseudo-random chunks at a steady
 * pace and a reader reads the echo back, each side hashing what it saw, so the test can compare
 * the two SHA-256 digests at the end (data intact across every rotation the connection lived
 * through). Used over TLS by {@link TlsEchoApp} and over plain TCP to a sidecar's static upstream.
 */
public final class EchoStream implements AutoCloseable {
  private final Socket socket;
  private final MessageDigest sent = sha256();
  private final MessageDigest received = sha256();
  private final AtomicLong sentBytes = new AtomicLong();
  private final AtomicLong receivedBytes = new AtomicLong();
  private final Thread reader;
  private volatile Throwable failure;

  public EchoStream(Socket socket) {
    this.socket = socket;
    this.reader = new Thread(this::readEcho, "echo-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Writes {@code chunkBytes} every {@code pauseMillis} until {@code done} says so. */
  public void pump(BooleanSupplier done, int chunkBytes, long pauseMillis, long seed)
      throws IOException, InterruptedException {
    Random random = new Random(seed);
    byte[] chunk = new byte[chunkBytes];
    OutputStream out = socket.getOutputStream();
    while (!done.getAsBoolean() && failure == null) {
      random.nextBytes(chunk);
      out.write(chunk);
      out.flush();
      synchronized (sent) {
        sent.update(chunk);
      }
      sentBytes.addAndGet(chunk.length);
      Thread.sleep(pauseMillis);
    }
  }

  /** Half-closes, waits for the echo of everything sent and its end, and checks the digests. */
  public Result finish(long timeoutMillis) throws InterruptedException {
    try {
      if (socket instanceof javax.net.ssl.SSLSocket) {
        // JSSE has no half-close on TLS 1.2 and makes it awkward on 1.3: wait for the echo.
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (receivedBytes.get() < sentBytes.get() && failure == null
            && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
      } else {
        socket.shutdownOutput();
        reader.join(timeoutMillis);
      }
    } catch (IOException e) {
      failure = e;
    }
    String sentSha;
    String receivedSha;
    synchronized (sent) {
      sentSha = HexFormat.of().formatHex(sent.digest());
    }
    synchronized (received) {
      receivedSha = HexFormat.of().formatHex(received.digest());
    }
    return new Result(sentBytes.get(), receivedBytes.get(), sentSha, receivedSha,
        failure == null ? null : failure.toString());
  }

  public long sentBytes() {
    return sentBytes.get();
  }

  public long receivedBytes() {
    return receivedBytes.get();
  }

  private void readEcho() {
    byte[] buffer = new byte[16384];
    try {
      InputStream in = socket.getInputStream();
      for (int n; (n = in.read(buffer)) != -1; ) {
        synchronized (received) {
          received.update(buffer, 0, n);
        }
        receivedBytes.addAndGet(n);
      }
    } catch (IOException e) {
      if (!socket.isClosed()) {
        failure = e;
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** What went through: intact when both counts and both digests agree and nothing failed. */
  public record Result(long sentBytes, long receivedBytes, String sentSha256,
      String receivedSha256, String failure) {
    public boolean intact() {
      return failure == null && sentBytes > 0 && sentBytes == receivedBytes
          && sentSha256.equals(receivedSha256);
    }

    public String line() {
      return "STREAM DONE sent=" + sentBytes + " received=" + receivedBytes + " sent_sha256="
          + sentSha256 + " received_sha256=" + receivedSha256 + " failure=" + failure;
    }
  }

  /** Copies every connection's bytes back to it until it ends (one thread per connection). */
  static void echo(Socket connection) {
    Thread thread = new Thread(() -> {
      try (Socket c = connection) {
        InputStream in = c.getInputStream();
        OutputStream out = c.getOutputStream();
        byte[] buffer = new byte[16384];
        for (int n; (n = in.read(buffer)) != -1; ) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        System.out.println("ECHO connection ended: " + e);
      }
    }, "echo");
    thread.setDaemon(true);
    thread.start();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
