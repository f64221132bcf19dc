package dev.lanyard.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on loopback between a client and a server that parses what it carries, both ways,
 * as TLS records (type 20-23, version 3.x, length at most 2^14 + 2048): the proof that the bytes
 * on the wire are TLS. It forwards everything; {@link #violations()} lists what was not a record.
 */
final class TlsRecordRelay implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  private TlsRecordRelay(ServerSocket listener, int targetPort) {
    this.listener = listener;
    this.targetPort = targetPort;
  }

  static TlsRecordRelay start(int targetPort) throws IOException {
    return start(targetPort, InetAddress.getLoopbackAddress());
  }

  /** A relay listening on {@code address} (e.g. a non-loopback one, for a mesh IP address). */
  static TlsRecordRelay start(int targetPort, InetAddress address) throws IOException {
    ServerSocket listener = new ServerSocket(0, 50, address);
    TlsRecordRelay relay = new TlsRecordRelay(listener, targetPort);
    Thread accept = new Thread(relay::acceptLoop, "tls-record-relay");
    accept.setDaemon(true);
    accept.start();
    return relay;
  }

  int port() {
    return listener.getLocalPort();
  }

  /** What was not a TLS record, by direction; empty when only TLS records passed. */
  List<String> violations() {
    synchronized (violations) {
      return List.copyOf(violations);
    }
  }

  long records() {
    return records.get();
  }

  long bytes() {
    return bytes.get();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        start(client, server, "client->server");
        start(server, client, "server->client");
      } catch (IOException e) {
        return;
      }
    }
  }

  private void start(Socket from, Socket to, String direction) {
    Thread pump = new Thread(() -> pump(from, to, direction), "tls-record-relay-" + direction);
    pump.setDaemon(true);
    pump.start();
  }

  private void pump(Socket from, Socket to, String direction) {
    try (InputStream in = from.getInputStream()) {
      OutputStream out = to.getOutputStream();
      byte[] header = new byte[5];
      while (true) {
        if (!readFully(in, header, out)) {
          break;
        }
        int type = header[0] & 0xff;
        int major = header[1] & 0xff;
        int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
        if (type < 20 || type > 23 || major != 3 || length > (1 << 14) + 2048) {
          violations.add(direction + ": not a TLS record header: " + hex(header));
          in.transferTo(out);
          break;
        }
        byte[] body = new byte[length];
        if (!readFully(in, body, out)) {
          violations.add(direction + ": a TLS record cut short");
          break;
        }
        records.incrementAndGet();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(to);
    }
  }

  /** Reads {@code buffer} whole and forwards it; false at a clean end of stream. */
  private boolean readFully(InputStream in, byte[] buffer, OutputStream out) throws IOException {
    int filled = 0;
    while (filled < buffer.length) {
      int read = in.read(buffer, filled, buffer.length - filled);
      if (read < 0) {
        if (filled > 0) {
          out.write(buffer, 0, filled);
          violations.add("a partial record of " + filled + " bytes before the end: "
              + hex(java.util.Arrays.copyOf(buffer, Math.min(filled, 16))));
        }
        return false;
      }
      filled += read;
    }
    out.write(buffer);
    out.flush();
    bytes.addAndGet(buffer.length);
    return true;
  }

  private static String hex(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      out.append(String.format("%02x", b));
    }
    return out.toString();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
