package dev.lanyard.tls.workloadapi;

/**
 * The flow-control window the peer grants this client for a stream or the connection: DATA sent
 * takes from it, WINDOW_UPDATE adds to it, a new SETTINGS_INITIAL_WINDOW_SIZE shifts every
 * stream's by the difference (and may make it negative). Above 2^31-1 is a flow-control error
 * (RFC 9113 section 6.9.1).
 */
final class SendWindow {
  static final long MAX = Integer.MAX_VALUE;
  private long window;

  SendWindow(int initial) {
    this.window = initial;
  }

  /** A WINDOW_UPDATE of {@code increment} (1 to 2^31-1) or a settings change of {@code delta}. */
  void add(long delta, String what) throws Http2ProtocolException {
    if (window + delta > MAX) {
      throw new Http2ProtocolException(Http2ErrorCodes.FLOW_CONTROL_ERROR, "the Workload API grew"
          + " the send window of " + what + " to " + (window + delta) + " bytes, above 2^31-1");
    }
    window += delta;
  }

  /** How many bytes may be sent now (0 when the window is closed or negative). */
  int available() {
    return (int) Math.max(0, window);
  }

  void take(int length) {
    window -= length;
  }
}
