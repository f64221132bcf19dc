package dev.lanyard.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code kubectl port-forward} to a pod's port, the way a user reads an admin endpoint
 * that listens on the pod's loopback: one forward per request, retried until it answers 200.
 */
public final class PortForward {
  private static final Pattern FORWARDING = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) ->");

  private PortForward() {}

  /**
   * {@code GET path} on the pod's {@code port} through a fresh forward, retried (a new forward
   * each time) until it answers 200 or {@code timeout} passes; the failure names the last answer.
   */
  public static String get(Path kubeconfig, String namespace, String pod, int port, String path,
      Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    String last = "no attempt";
    while (true) {
      try {
        return once(kubeconfig, namespace, pod, port, path);
      } catch (IOException e) {
        last = e.getMessage();
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("GET " + path + " on " + namespace + "/" + pod + ":" + port
            + " through kubectl port-forward did not answer 200 within " + timeout + ": " + last);
      }
      sleep(Duration.ofSeconds(1));
    }
  }

  private static String once(Path kubeconfig, String namespace, String pod, int port, String path)
      throws IOException {
    Process forward = new ProcessBuilder(Tools.require("kubectl").toString(), "--kubeconfig",
        kubeconfig.toString(), "-n", namespace, "port-forward", "--address", "127.0.0.1", "pod/" + pod, ":" + port)
        .redirectErrorStream(true).start();
    try {
      int local = localPort(forward);
      HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
          .build().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + local + path))
              .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("answered " + response.statusCode() + ": " + response.body().strip());
      }
      return response.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      forward.destroy();
      try {
        if (!forward.waitFor(5, TimeUnit.SECONDS)) {
          forward.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Reads kubectl's output until it names the local port (or exits, or 15 s pass). */
  private static int localPort(Process forward) throws IOException {
    BufferedReader out = new BufferedReader(
        new InputStreamReader(forward.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> found = CompletableFuture.supplyAsync(() -> {
      StringBuilder seen = new StringBuilder();
      try {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          Matcher matcher = FORWARDING.matcher(line);
          if (matcher.find()) {
            drain(out);
            return matcher.group(1);
          }
          seen.append(line).append('\n');
        }
      } catch (IOException e) {
        seen.append(e.getMessage());
      }
      return "exited: " + seen.toString().strip();
    });
    try {
      String result = found.get(15, TimeUnit.SECONDS);
      if (result.startsWith("exited: ")) {
        throw new IOException("kubectl port-forward " + result);
      }
      return Integer.parseInt(result);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException("kubectl port-forward named no local port within 15 s");
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("kubectl port-forward: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Keeps reading kubectl's output so it never blocks on a full pipe. */
  private static void drain(BufferedReader out) {
    Thread drainer = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // discard "Handling connection for ..." lines
        }
      } catch (IOException ignored) {
        // the forward was stopped
      }
    }, "port-forward-drain");
    drainer.setDaemon(true);
    drainer.start();
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
