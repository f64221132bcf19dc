package dev.lanyard.agent.upgrade;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Copies bytes both ways between the remote side (the mesh peer: TLS already terminated or
 * originated, or plaintext) and the local application, one blocking thread per direction. The end
 * of one direction is passed on as a half-close, so a side that finished sending still reads the
 * answer; both sockets close once both directions ended, or at the first error.
 */
final class Relay {
  enum Direction { TO_LOCAL, TO_REMOTE }

  private static final int BUFFER = 16 * 1024;

  private final Socket remote;
  private final Socket local;
  private final AtomicInteger running = new AtomicInteger(2);

  Relay(Socket remote, Socket local) {
    this.remote = remote;
    this.local = local;
  }

  /** Copies toward {@code direction} from the other socket's own input stream. */
  void copy(Direction direction) {
    try {
      copy(direction == Direction.TO_LOCAL ? remote.getInputStream() : local.getInputStream(),
          direction);
    } catch (IOException e) {
      closeBoth();
    }
  }

  /** Copies {@code from} (the other side's stream, maybe with bytes already peeked) toward {@code direction}. */
  void copy(InputStream from, Direction direction) {
    Socket target = direction == Direction.TO_LOCAL ? local : remote;
    try {
      OutputStream to = target.getOutputStream();
      byte[] buffer = new byte[BUFFER];
      int read;
      while ((read = from.read(buffer)) >= 0) {
        to.write(buffer, 0, read);
        to.flush();
      }
      try {
        target.shutdownOutput();
      } catch (IOException | UnsupportedOperationException e) {
        closeBoth();
      }
    } catch (IOException e) {
      closeBoth();
    } finally {
      if (running.decrementAndGet() == 0) {
        closeBoth();
      }
    }
  }

  private void closeBoth() {
    ConnectionHandler.closeQuietly(remote);
    ConnectionHandler.closeQuietly(local);
  }
}
