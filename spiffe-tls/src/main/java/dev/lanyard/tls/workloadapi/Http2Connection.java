package dev.lanyard.tls.workloadapi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * One HTTP/2 connection to a gRPC server (the Workload API, or an application's health service for
 * {@link GrpcUnaryClient}) on a JDK {@link SocketChannel}, with one reader thread
 * (from the client's thread factory: daemon, named) that connects, sends the preface and then
 * reads frames into the {@link Http2Session} until the connection ends. Calls started while it
 * connects wait for it; every call ends with a status when the connection does.
 */
final class Http2Connection {
  static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final Connector connector;
  private final GrpcPeer peer;
  private final Http2Session session;
  private final List<Start> waiting = new ArrayList<>();
  private State state = State.CONNECTING;
  private String connectFailure;
  private volatile SocketChannel channel;

  private enum State { CONNECTING, OPEN, FAILED, CLOSED }

  /** How the connection's socket is made: a connected, blocking channel. */
  @FunctionalInterface
  interface Connector {
    SocketChannel connect(int timeoutMillis) throws IOException;
  }

  private Http2Connection(Connector connector, GrpcPeer peer) {
    this.connector = connector;
    this.peer = peer;
    this.session = new Http2Session(peer, this::write);
  }

  /** A connection to the Workload API at {@code endpoint}, connecting on a thread from {@code threads}. */
  static Http2Connection open(WorkloadApiEndpoint endpoint, ThreadFactory threads) {
    return open(endpoint::connect, GrpcPeer.workloadApi(endpoint.target()), threads);
  }

  /** A connection to {@code peer} made by {@code connector} on a new thread from {@code threads}. */
  static Http2Connection open(Connector connector, GrpcPeer peer, ThreadFactory threads) {
    Http2Connection connection = new Http2Connection(connector, peer);
    threads.newThread(connection::run).start();
    return connection;
  }

  /** Whether new calls may go on this connection (connecting, or open without a GOAWAY). */
  synchronized boolean acceptsCalls() {
    return state == State.CONNECTING || state == State.OPEN && session.acceptsCalls();
  }

  /** Whether it is still open with calls on it (after a GOAWAY: until its last stream ends). */
  synchronized boolean busy() {
    return state == State.OPEN && session.openStreams() > 0;
  }

  void start(GrpcCall call, byte[] request, long timeoutNanos) {
    synchronized (this) {
      if (state == State.CONNECTING) {
        waiting.add(new Start(call, request, timeoutNanos));
        return;
      }
      if (state == State.FAILED) {
        call.close(cannotConnect(connectFailure));
        return;
      }
      if (state == State.CLOSED) {
        call.close(closed());
        return;
      }
    }
    session.start(call, request, timeoutNanos);
  }

  /** Closes the socket; every call on it ends UNAVAILABLE, the reader thread ends. */
  void close() {
    List<Start> dropped;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
      dropped = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Start start : dropped) {
      start.call.close(new GrpcStatus(GrpcStatus.CANCELLED, "the connection to " + peer.at() + " is closed"));
    }
    closeChannel();
  }

  private void run() {
    SocketChannel connected;
    try {
      connected = connector.connect(CONNECT_TIMEOUT_MILLIS);
    } catch (IOException | RuntimeException e) {
      connectFailed(WorkloadApiClient.describe(e));
      return;
    }
    channel = connected;
    List<Start> started;
    synchronized (this) {
      if (state == State.CLOSED) {
        closeChannel();
        return;
      }
      try {
        write(Http2Session.preface());
      } catch (IOException e) {
        closeChannel();
        connectFailed(WorkloadApiClient.describe(e));
        return;
      }
      state = State.OPEN;
      started = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Start start : started) {
      session.start(start.call, start.request, start.timeoutNanos);
    }
    read(connected);
  }

  private void read(SocketChannel connected) {
    GrpcStatus ended;
    Http2FrameReader frames = Http2FrameReader.fromServer(connected,
        Http2Session.DEFAULT_MAX_FRAME, peer.name());
    try {
      Http2Frame frame;
      while ((frame = frames.read()) != null) {
        session.onFrame(frame);
        if (session.drained()) {
          break;
        }
      }
      ended = closed();
    } catch (Http2ProtocolException e) {
      session.goAwayQuietly(e);
      ended = new GrpcStatus(GrpcStatus.INTERNAL, peer.at()
          + " broke HTTP/2: " + e.getMessage());
    } catch (IOException e) {
      ended = closed();
    } catch (RuntimeException e) { // a bug here must not leave calls waiting forever
      ended = new GrpcStatus(GrpcStatus.INTERNAL, "reading from " + peer.at()
          + " failed: " + e);
    }
    synchronized (this) {
      state = State.CLOSED;
    }
    closeChannel();
    session.connectionLost(ended);
  }

  private GrpcStatus closed() {
    return new GrpcStatus(GrpcStatus.UNAVAILABLE,
        "the connection to " + peer.at() + " closed");
  }

  private void connectFailed(String why) {
    List<Start> failed;
    synchronized (this) {
      if (state != State.CLOSED) {
        state = State.FAILED;
      }
      connectFailure = why;
      failed = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Start start : failed) {
      start.call.close(cannotConnect(why));
    }
  }

  private GrpcStatus cannotConnect(String why) {
    return new GrpcStatus(GrpcStatus.UNAVAILABLE,
        "cannot connect to " + peer.at() + ": " + why);
  }

  /** Writes {@code frames} whole; callers hold the session's lock, so writes never interleave. */
  private void write(byte[] frames) throws IOException {
    SocketChannel out = channel;
    if (out == null) {
      throw new IOException("not connected");
    }
    ByteBuffer buffer = ByteBuffer.wrap(frames);
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
  }

  private void closeChannel() {
    SocketChannel toClose = channel;
    if (toClose != null) {
      try {
        toClose.close();
      } catch (IOException e) {
        // closing: nothing left to do
      }
    }
  }

  private static final class Start {
    final GrpcCall call;
    final byte[] request;
    final long timeoutNanos;

    Start(GrpcCall call, byte[] request, long timeoutNanos) {
      this.call = call;
      this.request = request;
      this.timeoutNanos = timeoutNanos;
    }
  }
}
