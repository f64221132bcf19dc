package dev.lanyard.tls.workloadapi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a gRPC response body (HTTP/2 DATA, in pieces of any size) into messages: each is a 1-byte
 * compressed flag, a 4-byte big-endian length and that many bytes. Refuses, as a {@link
 * WorkloadApiException}, a message longer than the limit (gRPC's default, 4 MiB, is far above
 * any SVID update) before buffering it, and a compressed one (this client offers no compression,
 * so a server must not send any).
 */
public final class GrpcDeframer {
  /** gRPC's own default for the largest message a client accepts. */
  public static final int DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;
  private static final int HEADER = 5;

  private final int maxMessage;
  private final String peer;
  private final byte[] header = new byte[HEADER];
  private int headerRead;
  private byte[] message;
  private int messageRead;

  public GrpcDeframer(int maxMessage) {
    this(maxMessage, "the Workload API");
  }

  /** {@code peer}: who sends the messages, for the refusals ("the Workload API"). */
  public GrpcDeframer(int maxMessage, String peer) {
    this.maxMessage = maxMessage;
    this.peer = peer;
  }

  /** The messages completed by {@code data} (read whole); the rest is kept for the next call. */
  public List<byte[]> feed(ByteBuffer data) throws WorkloadApiException {
    List<byte[]> complete = new ArrayList<>(1);
    while (data.hasRemaining()) {
      if (message == null) {
        int take = Math.min(HEADER - headerRead, data.remaining());
        data.get(header, headerRead, take);
        headerRead += take;
        if (headerRead < HEADER) {
          break;
        }
        message = new byte[startMessage()];
        messageRead = 0;
      }
      int take = Math.min(message.length - messageRead, data.remaining());
      data.get(message, messageRead, take);
      messageRead += take;
      if (messageRead == message.length) {
        complete.add(message);
        message = null;
        headerRead = 0;
      }
    }
    return complete;
  }

  /** Whether the body ended between messages (a cut message is a protocol error). */
  public boolean atMessageBoundary() {
    return headerRead == 0 && message == null;
  }

  private int startMessage() throws WorkloadApiException {
    if (header[0] != 0) {
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.INTERNAL, peer + " sent"
          + " a message with compressed flag " + (header[0] & 0xff) + "; this client accepts"
          + " only uncompressed messages (flag 0)"));
    }
    long length = (header[1] & 0xffL) << 24 | (header[2] & 0xff) << 16 | (header[3] & 0xff) << 8
        | header[4] & 0xff;
    if (length > maxMessage) {
      throw new WorkloadApiException(new GrpcStatus(GrpcStatus.RESOURCE_EXHAUSTED, peer
          + " sent a message of " + length + " bytes; the limit is " + maxMessage + " bytes"));
    }
    return (int) length;
  }

  /** {@code message} framed for a request body: flag 0, its length, its bytes. */
  public static byte[] frame(byte[] message) {
    byte[] framed = new byte[HEADER + message.length];
    int length = message.length;
    framed[1] = (byte) (length >>> 24);
    framed[2] = (byte) (length >>> 16);
    framed[3] = (byte) (length >>> 8);
    framed[4] = (byte) length;
    System.arraycopy(message, 0, framed, HEADER, length);
    return framed;
  }
}
