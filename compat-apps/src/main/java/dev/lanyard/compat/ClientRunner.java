package dev.lanyard.compat;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request loop every client app shares. It sends {@code --requests N} requests (0: until the
 * process is killed) from {@code --concurrency C} threads, each pausing {@code --interval-ms M}
 * between its requests, and prints one line per request:
 *
 * <pre>
 * OK status=&lt;code&gt; server_peer=&lt;URI SAN of the server certificate, or none&gt; body=&lt;body&gt;
 * FAIL &lt;exception class&gt;: &lt;message&gt; (root cause &lt;class&gt;: &lt;message&gt;)
 * </pre>
 *
 * and at the end (also when killed)
 * {@code SUMMARY ok=<n> failed=<m> p50_us=<..> p99_us=<..> elapsed_ms=<..> per_second=<..>}.
 * With {@code --warmup-requests W} the first W requests sent are left out of p50 and p99 (not of
 * the counts): warm latency of a JVM whose JIT has seen the request path.
 * The exit code is 0 when no request failed and 1 otherwise.
 *
 * <p>Normally one client (with its connection pool) serves every request. With
 * {@code --new-connection-per-request} each request gets a fresh client or connection, so that
 * every request pays a full TLS handshake (for handshake-rate benchmarks); the latency then covers
 * connect, handshake and request, but not building the client object.
 */
public final class ClientRunner {
  /** Options every client app accepts besides the TLS ones and its target. */
  public static final List<String> OPTIONS =
      List.of("requests", "interval-ms", "concurrency", "timeout-ms", "warmup-requests");

  /** Flags every client app accepts. */
  public static final List<String> FLAGS = List.of("new-connection-per-request");

  /** What one request saw. */
  public record Response(String status, String serverPeer, String body) {
    public Response(int status, String serverPeer, String body) {
      this(Integer.toString(status), serverPeer, body);
    }
  }

  /**
   * A client (or one connection of it) able to send the app's request. Not {@code AutoCloseable}:
   * the runner, not a try-with-resources block, decides when it is closed.
   */
  public interface Client {
    Response send() throws Exception;

    /** Releases the client's connections (called once, after its last request). */
    default void close() throws Exception {}
  }

  /** Builds a {@link Client}. */
  @FunctionalInterface
  public interface ClientFactory {
    Client create() throws Exception;
  }

  /** The loop settings. */
  public record Settings(
      int requests, int intervalMillis, int concurrency, int timeoutMillis,
      boolean newConnectionPerRequest, int warmupRequests) {
    public Settings(int requests, int intervalMillis, int concurrency, int timeoutMillis,
        boolean newConnectionPerRequest) {
      this(requests, intervalMillis, concurrency, timeoutMillis, newConnectionPerRequest, 0);
    }

    public static Settings from(AppArgs args) {
      Settings settings = new Settings(args.intValue("requests", 1), args.intValue("interval-ms", 0),
          args.intValue("concurrency", 1), args.intValue("timeout-ms", 30_000),
          args.flag("new-connection-per-request"), args.intValue("warmup-requests", 0));
      if (settings.requests < 0 || settings.intervalMillis < 0 || settings.concurrency < 1
          || settings.timeoutMillis < 1 || settings.warmupRequests < 0) {
        throw new AppArgs.UsageException(args.app() + ": --requests, --interval-ms and"
            + " --warmup-requests must be >= 0, --concurrency and --timeout-ms >= 1");
      }
      return settings;
    }
  }

  private final Settings settings;
  private final PrintStream out;
  private final LatencyHistogram latencies = new LatencyHistogram();
  private final AtomicLong issued = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicBoolean summaryPrinted = new AtomicBoolean();
  private volatile long startNanos;

  public ClientRunner(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs the loop; returns the exit code. */
  public int run(ClientFactory factory) {
    startNanos = System.nanoTime();
    Thread hook = new Thread(this::printSummary, "summary-on-exit");
    Runtime.getRuntime().addShutdownHook(hook);
    Client shared = null;
    if (!settings.newConnectionPerRequest) {
      try {
        shared = factory.create();
      } catch (Exception | LinkageError e) {
        fail(e);
        printSummary();
        return 1;
      }
    }
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < settings.concurrency; i++) {
      Client client = shared;
      Thread worker = new Thread(() -> work(factory, client), "client-" + i);
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      try {
        worker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (shared != null) {
      closeQuietly(shared);
    }
    printSummary();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyExiting) {
      // the summary has been printed either way
    }
    return failed.get() == 0 ? 0 : 1;
  }

  private void work(ClientFactory factory, Client shared) {
    while (settings.requests == 0 || issued.incrementAndGet() <= settings.requests) {
      sendOne(factory, shared);
      if (settings.intervalMillis > 0) {
        try {
          Thread.sleep(settings.intervalMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void sendOne(ClientFactory factory, Client shared) {
    Client client = shared;
    try {
      if (client == null) {
        client = factory.create();
      }
      boolean warmup = sent.incrementAndGet() <= settings.warmupRequests;
      long start = System.nanoTime();
      Response response = client.send();
      long micros = (System.nanoTime() - start) / 1_000;
      if (!warmup) {
        latencies.record(micros);
      }
      ok.incrementAndGet();
      print("OK status=" + response.status() + " server_peer=" + response.serverPeer() + " body="
          + Failures.oneLine(response.body()));
    } catch (Exception | LinkageError e) {
      fail(e);
    } finally {
      if (shared == null && client != null) {
        closeQuietly(client);
      }
    }
  }

  private void fail(Throwable e) {
    failed.incrementAndGet();
    print("FAIL " + Failures.describe(e));
  }

  private void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  private void printSummary() {
    if (!summaryPrinted.compareAndSet(false, true)) {
      return;
    }
    long elapsedMillis = Math.max(1, (System.nanoTime() - startNanos) / 1_000_000);
    long done = ok.get() + failed.get();
    print("SUMMARY ok=" + ok.get() + " failed=" + failed.get()
        + " p50_us=" + latencies.percentile(50) + " p99_us=" + latencies.percentile(99)
        + " elapsed_ms=" + elapsedMillis
        + " per_second=" + String.format(java.util.Locale.ROOT, "%.1f", done * 1000.0 / elapsedMillis));
  }

  private static void closeQuietly(Client client) {
    try {
      client.close();
    } catch (Exception e) {
      System.err.println("WARN closing client: " + Failures.describe(e));
    }
  }
}
