package dev.lanyard.proxy;

import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.TempDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The non-JVM side of the tests: Python 3 with its standard library only. */
final class Python {
  static final Path SCRIPTS = Path.of("src/test/resources/python").toAbsolutePath();

  private Python() {}

  /** Starts {@code app.py} on {@code port} and waits until it listens. */
  static ManagedProcess app(TempDir dir, int port) {
    return app(dir, "127.0.0.1", port);
  }

  /** Starts {@code app.py} on {@code address:port} and waits until it listens. */
  static ManagedProcess app(TempDir dir, String address, int port) {
    ManagedProcess app = ManagedProcess.start("python-app-" + port,
        List.of("python3", "-u", SCRIPTS.resolve("app.py").toString(), Integer.toString(port),
            address),
        Map.of(), dir.path(), dir.path().resolve("app-" + port + ".log"));
    app.awaitOutput(java.util.regex.Pattern.compile("app listening"), Duration.ofSeconds(20));
    return app;
  }

  /** Runs {@code client.py} with {@code HTTP_PROXY} pointing at {@code proxy}; returns its output. */
  static String client(String proxy, Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of("python3", SCRIPTS.resolve("client.py").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    List.of("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
        .forEach(env::remove);
    env.put("HTTP_PROXY", "http://" + proxy);
    env.put("http_proxy", "http://" + proxy);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("python client " + args[0] + " did not finish in " + timeout);
      }
      return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
