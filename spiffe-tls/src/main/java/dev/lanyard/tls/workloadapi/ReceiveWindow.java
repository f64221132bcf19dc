package dev.lanyard.tls.workloadapi;

/**
 * The flow-control window this client grants the peer for a stream or the connection (RFC 9113
 * section 5.2): DATA received shrinks it, a peer that sends past it breaks the protocol. Bytes
 * count as consumed once handed to the call; the window is given back with one WINDOW_UPDATE
 * when half of it is consumed, so a stream that lives for days never stalls and the peer is not
 * sent an update per frame.
 */
final class ReceiveWindow {
  private final int initial;
  private long window;
  private int unreturned;

  ReceiveWindow(int initial) {
    this.initial = initial;
    this.window = initial;
  }

  /** {@code length} flow-controlled bytes (DATA payload, padding included) arrived. */
  void received(int length, String what) throws Http2ProtocolException {
    if (length > window) {
      throw new Http2ProtocolException(Http2ErrorCodes.FLOW_CONTROL_ERROR, "the Workload API sent "
          + length + " bytes of DATA on " + what + " with a window of " + window + " bytes");
    }
    window -= length;
  }

  /** {@code length} bytes were consumed; the WINDOW_UPDATE increment to send now, or 0. */
  int consumed(int length) {
    unreturned += length;
    if (unreturned < initial / 2) {
      return 0;
    }
    int increment = unreturned;
    window += increment;
    unreturned = 0;
    return increment;
  }

  long window() {
    return window;
  }
}
