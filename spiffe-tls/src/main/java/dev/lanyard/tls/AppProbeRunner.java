package dev.lanyard.tls;

import dev.lanyard.config.AppProbe;
import dev.lanyard.config.AppProbes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Runs the application's own kubelet probes ({@code LANYARD_APP_PROBES}) for the health port:
 * an HTTP GET, a TCP connect or a gRPC health check ({@link GrpcHealthCheck}) to the address
 * where the application really listens (behind a strict upgrade, its loopback port, which no
 * plaintext from the network reaches), within the probe's timeout. {@code 200} when the
 * application answered 2xx/3xx, accepted the connection or answered {@code SERVING}, {@code 503}
 * naming what failed otherwise, as the kubelet would have judged it. Probes run on
 * their own few daemon threads, so a hanging application never holds the health port's workers
 * (its {@code /ready} keeps answering).
 */
final class AppProbeRunner {
  /** Probes in flight at once; one more is answered 503 at once (the kubelet retries). */
  static final int MAX_IN_FLIGHT = 8;

  private static final int MAX_STATUS_LINE = 1024;

  private final AppProbes probes;
  private final IntFunction<InetSocketAddress> targets;
  private final ThreadPoolExecutor threads;
  /** Made at the first gRPC probe (its class and thread only then); closed with the runner. */
  private GrpcHealthCheck grpc;
  private boolean closed;

  /**
   * @param targets where the application listens for a probe's port (the javaagent: the
   *     loopback port behind an upgraded listener)
   */
  AppProbeRunner(AppProbes probes, IntFunction<InetSocketAddress> targets) {
    this.probes = probes;
    this.targets = targets;
    this.threads = new ThreadPoolExecutor(0, MAX_IN_FLIGHT, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), DaemonThreads.factory("lanyard-app-probe"));
  }

  /** The probe at {@code path}, if the webhook moved one there. */
  Optional<AppProbe> probe(String path) {
    return probes.get(path);
  }

  /** Runs the probe at {@code path} (one of {@link #probe}'s) off the caller's thread. */
  CompletableFuture<AdminEndpoints.Response> run(String path) {
    AppProbe probe = probes.get(path).orElseThrow();
    CompletableFuture<AdminEndpoints.Response> answer = new CompletableFuture<>();
    try {
      threads.execute(() -> {
        try {
          answer.complete(check(probe));
        } catch (RuntimeException e) {
          answer.complete(AdminEndpoints.Response.text(503, "probe " + path + " failed: " + e
              + "\n"));
        }
      });
    } catch (RejectedExecutionException e) {
      answer.complete(AdminEndpoints.Response.text(503, "not run: " + MAX_IN_FLIGHT
          + " application probes are in flight already\n"));
    }
    return answer;
  }

  /** At most the probe's timeout, which is also how long the health port waits for it. */
  Duration timeout(String path) {
    return probes.get(path).map(probe -> Duration.ofSeconds(probe.timeoutSeconds()))
        .orElse(Duration.ZERO);
  }

  void close() {
    threads.shutdownNow();
    synchronized (this) {
      closed = true;
      if (grpc != null) {
        grpc.close();
      }
    }
  }

  private synchronized GrpcHealthCheck grpc() {
    if (closed) {
      throw new IllegalStateException("the health port is closed");
    }
    if (grpc == null) {
      grpc = new GrpcHealthCheck();
    }
    return grpc;
  }

  private AdminEndpoints.Response check(AppProbe probe) {
    InetSocketAddress target = targets.apply(probe.port());
    String where = "port " + probe.port() + " (the application at " + target.getAddress()
        .getHostAddress() + ":" + target.getPort() + ")";
    if (probe.kind() == AppProbe.Kind.GRPC) {
      return grpc().check(probe, target, where);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(probe.timeoutSeconds());
    try (Socket socket = new Socket()) {
      socket.connect(target, remainingMillis(deadline));
      if (probe.kind() == AppProbe.Kind.TCP_SOCKET) {
        return AdminEndpoints.Response.text(200, "ok: " + where + " accepted a connection\n");
      }
      int status = get(socket, probe, deadline);
      String what = "GET " + probe.path() + " on " + where + " answered " + status;
      return status >= 200 && status < 400 ? AdminEndpoints.Response.text(200, "ok: " + what + "\n")
          : AdminEndpoints.Response.text(503, "failed: " + what + "\n");
    } catch (SocketTimeoutException e) {
      return AdminEndpoints.Response.text(503, "failed: " + describe(probe) + " on " + where
          + " did not answer within " + probe.timeoutSeconds() + "s (the probe's"
          + " timeoutSeconds)\n");
    } catch (IOException e) {
      return AdminEndpoints.Response.text(503, "failed: " + describe(probe) + " on " + where
          + ": " + e.getMessage() + "\n");
    }
  }

  private static String describe(AppProbe probe) {
    return probe.kind() == AppProbe.Kind.TCP_SOCKET ? "TCP connect" : "GET " + probe.path();
  }

  /** Sends the kubelet's request and reads the status code, by the deadline. */
  private static int get(Socket socket, AppProbe probe, long deadline) throws IOException {
    StringBuilder head = new StringBuilder("GET ").append(probe.path()).append(" HTTP/1.1\r\n");
    boolean host = false;
    boolean userAgent = false;
    boolean accept = false;
    for (Map.Entry<String, String> header : probe.headers()) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      host |= name.equals("host");
      userAgent |= name.equals("user-agent");
      accept |= name.equals("accept");
      head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
    }
    // The kubelet's own defaults, unless the probe set them.
    if (!host) {
      head.append("Host: localhost:").append(probe.port()).append("\r\n");
    }
    if (!userAgent) {
      head.append("User-Agent: kube-probe/lanyard\r\n");
    }
    if (!accept) {
      head.append("Accept: */*\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    OutputStream out = socket.getOutputStream();
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    InputStream in = socket.getInputStream();
    StringBuilder line = new StringBuilder();
    while (line.length() < MAX_STATUS_LINE) {
      socket.setSoTimeout(remainingMillis(deadline));
      int next = in.read();
      if (next < 0 || next == '\n') {
        break;
      }
      line.append((char) next);
    }
    String[] parts = line.toString().trim().split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP answer: \"" + line.toString().trim() + "\"");
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status: \"" + line.toString().trim() + "\"");
    }
  }

  private static int remainingMillis(long deadline) throws SocketTimeoutException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      throw new SocketTimeoutException("deadline passed");
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }
}
