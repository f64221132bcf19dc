package dev.lanyard.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The HTTP server of the admin endpoint and of the health port: one {@code GET} per connection,
 * answered with {@code Connection: close}. Written here rather than taken from a library because
 * the javaagent runs it inside the workload's JVM (see docs/ARCHITECTURE.md, "The admin server"):
 *
 * <ul>
 *   <li>one selector thread reads every connection's request head without blocking, so a client
 *       that sends one byte and holds the connection costs a socket, never a thread;
 *   <li>each connection has a deadline ({@link #READ_TIMEOUT} to send its head, then as long to
 *       read the answer) after which it is closed;
 *   <li>complete requests are answered on {@link #WORKERS} worker threads; an answer that waits
 *       on the application (the health port's {@code /app-health} probes) completes on its own
 *       threads ({@link Handler#handleLater}), so it never delays another answer;
 *   <li>at most {@link #MAX_CONNECTIONS} connections are open: one more closes the oldest that has
 *       not finished its head, so held connections cannot lock others out;
 *   <li>a head longer than {@link #MAX_HEAD_BYTES} is answered 431.
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
  static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
  static final int WORKERS = 2;
  static final int MAX_CONNECTIONS = 64;
  static final int MAX_HEAD_BYTES = 8192;
  /** After the answer, how long unread request bytes are drained before the close. */
  private static final long LINGER_NANOS = Duration.ofSeconds(1).toNanos();

  /** What a server answers: the admin endpoints, or the health port's readiness alone. */
  interface Handler {
    AdminEndpoints.Response handle(String method, String path, String rawQuery);

    /**
     * An answer that waits on something else (an application probe), completed off the worker
     * threads so that it never delays another answer; {@code null}: {@link #handle} answers.
     */
    default CompletableFuture<AdminEndpoints.Response> handleLater(String method, String path,
        String rawQuery) {
      return null;
    }

    /** How much longer than {@link #READ_TIMEOUT} the answer to {@code path} may take. */
    default Duration answerTime(String path) {
      return Duration.ZERO;
    }
  }

  private final String name;
  private final ServerSocketChannel listener;
  private final Selector selector;
  private final Handler handler;
  private final long readTimeoutNanos;
  private final ExecutorService workers;
  private final Set<Connection> open = new LinkedHashSet<>();
  private final Queue<Connection> answered = new ConcurrentLinkedQueue<>();
  private final Thread loop;
  private volatile boolean closed;

  private AdminServer(String name, ServerSocketChannel listener, Selector selector, Handler handler,
      Duration readTimeout) {
    this.name = name;
    this.listener = listener;
    this.selector = selector;
    this.handler = handler;
    this.readTimeoutNanos = readTimeout.toNanos();
    this.workers = Executors.newFixedThreadPool(WORKERS, DaemonThreads.factory(name + "-worker"));
    this.loop = DaemonThreads.factory(name + "-io").newThread(this::run);
  }

  /**
   * Binds {@code address} and serves {@code endpoints}' full admin surface.
   *
   * @throws IOException when the address cannot be bound (e.g. port in use)
   */
  static AdminServer start(InetSocketAddress address, AdminEndpoints endpoints) throws IOException {
    return start("lanyard-admin", address, endpoints::handle, READ_TIMEOUT);
  }

  /**
   * Binds {@code address} and serves {@code GET /ready} only ({@link AdminEndpoints#health}): the
   * port the kubelet probes on the pod IP.
   */
  static AdminServer startHealth(InetSocketAddress address, AdminEndpoints endpoints)
      throws IOException {
    return start("lanyard-health", address, endpoints::health, READ_TIMEOUT);
  }

  /**
   * Binds {@code address} and serves {@code GET /metrics} only ({@link
   * AdminEndpoints#metricsPort}): the port Prometheus scrapes on the pod IP.
   */
  static AdminServer startMetrics(InetSocketAddress address, AdminEndpoints endpoints)
      throws IOException {
    return start("lanyard-metrics", address, endpoints::metricsPort, READ_TIMEOUT);
  }

  static AdminServer start(String name, InetSocketAddress address, Handler handler,
      Duration readTimeout) throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open();
    Selector selector = null;
    try {
      listener.bind(address, 64);
      listener.configureBlocking(false);
      selector = Selector.open();
      listener.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException | RuntimeException e) {
      listener.close();
      if (selector != null) {
        selector.close();
      }
      throw e;
    }
    AdminServer server = new AdminServer(name, listener, selector, handler, readTimeout);
    server.loop.start();
    return server;
  }

  /** The bound address (the real port when 0 was asked for). */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) listener.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException("admin server closed", e);
    }
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      loop.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }

  private void run() {
    try {
      while (!closed) {
        selector.select(millisToNextDeadline());
        Connection ready;
        while ((ready = answered.poll()) != null) {
          ready.startWriting();
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            acceptAll();
          } else {
            Connection connection = (Connection) key.attachment();
            if (key.isReadable()) {
              connection.onReadable();
            } else if (key.isWritable()) {
              connection.onWritable();
            }
          }
        }
        closeExpired();
      }
    } catch (IOException | ClosedSelectorException e) {
      if (!closed) {
        LanyardLog.warn(name + " stopped: " + e);
      }
    } finally {
      for (Connection connection : new ArrayList<>(open)) {
        connection.close();
      }
      closeQuietly(listener);
      try {
        selector.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  private long millisToNextDeadline() {
    long now = System.nanoTime();
    long next = Long.MAX_VALUE;
    for (Connection connection : open) {
      next = Math.min(next, connection.deadline - now);
    }
    if (next == Long.MAX_VALUE) {
      return 0; // no connection: wait for one
    }
    return Math.max(1, next / 1_000_000 + 1);
  }

  private void acceptAll() throws IOException {
    SocketChannel channel;
    while ((channel = listener.accept()) != null) {
      if (open.size() >= MAX_CONNECTIONS) {
        evictOldestUnfinished();
      }
      if (open.size() >= MAX_CONNECTIONS) {
        closeQuietly(channel); // every open connection is being answered: they end soon
        continue;
      }
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      Connection connection = new Connection(channel);
      connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
      open.add(connection);
    }
  }

  private void evictOldestUnfinished() {
    for (Connection connection : open) {
      if (connection.state == State.READING) {
        connection.close();
        return;
      }
    }
  }

  private void closeExpired() {
    long now = System.nanoTime();
    for (Connection connection : new ArrayList<>(open)) {
      if (now - connection.deadline >= 0) {
        connection.close();
      }
    }
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  private enum State { READING, ANSWERING, WRITING, LINGERING }

  /** One client connection, touched only by the selector thread (workers hand answers back). */
  private final class Connection {
    final SocketChannel channel;
    final byte[] head = new byte[MAX_HEAD_BYTES];
    int headLength;
    SelectionKey key;
    State state = State.READING;
    long deadline = System.nanoTime() + readTimeoutNanos;
    ByteBuffer output;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    void onReadable() {
      try {
        if (state == State.LINGERING) {
          if (channel.read(ByteBuffer.allocate(1024)) < 0) {
            close();
          }
          return;
        }
        ByteBuffer into = ByteBuffer.wrap(head, headLength, head.length - headLength);
        int read = channel.read(into);
        if (read < 0) {
          close(); // the client gave up before its head ended
          return;
        }
        headLength += read;
        int end = HttpRequestHead.headEnd(head, headLength);
        if (end > 0) {
          answer(HttpRequestHead.parse(head, end));
        } else if (headLength == head.length) {
          respond(AdminEndpoints.Response.text(431, "request head larger than " + MAX_HEAD_BYTES
              + " bytes; the admin endpoint takes GET requests without large headers\n"));
        }
      } catch (IOException e) {
        close();
      }
    }

    private void answer(Optional<HttpRequestHead> request) {
      if (!request.isPresent()) {
        respond(AdminEndpoints.Response.text(400, "bad request line: write e.g."
            + " GET /ready HTTP/1.1\n"));
        return;
      }
      HttpRequestHead parsed = request.get();
      state = State.ANSWERING;
      deadline = System.nanoTime() + readTimeoutNanos + handler.answerTime(parsed.path).toNanos();
      key.interestOps(0);
      try {
        workers.execute(() -> {
          CompletableFuture<AdminEndpoints.Response> later = null;
          AdminEndpoints.Response response = null;
          try {
            later = handler.handleLater(parsed.method, parsed.path, parsed.rawQuery);
            if (later == null) {
              response = handler.handle(parsed.method, parsed.path, parsed.rawQuery);
            }
          } catch (RuntimeException e) {
            response = failed(parsed, e);
          }
          if (later == null) {
            answered(response);
            return;
          }
          later.whenComplete((answer, failure) ->
              answered(failure == null ? answer : failed(parsed, failure)));
        });
      } catch (RejectedExecutionException e) {
        close(); // closing down
      }
    }

    private AdminEndpoints.Response failed(HttpRequestHead request, Throwable e) {
      LanyardLog.warn(name + " failed on " + request.path + ": " + e);
      return AdminEndpoints.Response.text(500, "internal error\n");
    }

    private void answered(AdminEndpoints.Response response) {
      output = encode(response);
      answered.add(this);
      selector.wakeup();
    }

    private void respond(AdminEndpoints.Response response) {
      output = encode(response);
      startWriting();
    }

    void startWriting() {
      if (!channel.isOpen()) {
        return;
      }
      state = State.WRITING;
      deadline = System.nanoTime() + readTimeoutNanos;
      key.interestOps(SelectionKey.OP_WRITE);
      onWritable();
    }

    void onWritable() {
      try {
        channel.write(output);
        if (!output.hasRemaining()) {
          // Half-close, then drain what the client still sends, so that unread request bytes
          // never turn the close into a reset that loses the answer.
          channel.shutdownOutput();
          state = State.LINGERING;
          deadline = System.nanoTime() + LINGER_NANOS;
          key.interestOps(SelectionKey.OP_READ);
        }
      } catch (IOException e) {
        close();
      }
    }

    void close() {
      open.remove(this);
      if (key != null) {
        key.cancel();
      }
      closeQuietly(channel);
    }
  }

  private static ByteBuffer encode(AdminEndpoints.Response response) {
    StringBuilder head = new StringBuilder()
        .append("HTTP/1.1 ").append(response.status).append(' ').append(reason(response.status))
        .append("\r\nContent-Type: ").append(response.contentType)
        .append("\r\nCache-Control: no-store")
        .append("\r\nContent-Length: ").append(response.body.length)
        .append("\r\nConnection: close\r\n");
    if (response.status == 405) {
      head.append("Allow: GET\r\n");
    }
    head.append("\r\n");
    byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
    ByteBuffer buffer = ByteBuffer.allocate(headBytes.length + response.body.length);
    buffer.put(headBytes).put(response.body).flip();
    return buffer;
  }

  private static String reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 400:
        return "Bad Request";
      case 404:
        return "Not Found";
      case 405:
        return "Method Not Allowed";
      case 431:
        return "Request Header Fields Too Large";
      case 500:
        return "Internal Server Error";
      case 503:
        return "Service Unavailable";
      default:
        return "Status";
    }
  }
}
