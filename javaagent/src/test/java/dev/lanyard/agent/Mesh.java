package dev.lanyard.agent;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Runs the compat apps (ordinary programs, no Lanyard dependency) as real JVMs with the real
 * javaagent jar, each workload told apart by its gid, talking real TLS on loopback.
 */
final class Mesh {
  static final Path AGENT_JAR = Path.of(System.getProperty("lanyard.javaagent.jar",
      "target/lanyard-javaagent.jar"));
  static final Path COMPAT = Path.of(System.getProperty("lanyard.compat.dir",
      "../compat-apps/target"));

  private Mesh() {}

  /** The compat apps' classpath (their classes and every runtime jar). */
  static String compatClasspath() {
    try {
      return COMPAT.resolve("classes") + ":" + Files.readString(COMPAT.resolve("classpath.txt")).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("compat-apps not built: run ./mvnw -pl compat-apps package", e);
    }
  }

  /** A workload: its gid (the unix attestor's selector) and the SPIFFE ID registered for it. */
  record Workload(int gid, String spiffeId) {
    static Workload register(SpireCluster spire, int gid, String path) {
      String id = "spiffe://" + spire.trustDomain() + path;
      spire.register(id, "unix:gid:" + gid);
      return new Workload(gid, id);
    }

    void awaitSvid(SpireCluster spire) {
      spire.awaitSvidForGid(gid, spiffeId, Duration.ofSeconds(30));
    }
  }

  /** A JVM running a compat app as {@code workload}, with the javaagent unless {@code agent} is false. */
  static JvmProcess.Builder app(String name, SpireCluster spire, Workload workload, String app,
      Map<String, String> env, String... args) {
    JvmProcess.Builder builder = JvmProcess.builder(name)
        .classpath(compatClasspath())
        .mainClass("dev.lanyard.compat." + app)
        .args(args)
        .env("SPIFFE_ENDPOINT_SOCKET", spire.workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next())
        .env("LANYARD_STARTUP", "wait=20s,then=fail")
        .env(env);
    if (workload != null) {
      builder.gid(workload.gid()).javaagent(AGENT_JAR);
    }
    return builder;
  }

  /** Starts a server app and returns it once it printed its port. */
  static Server server(SpireCluster spire, Workload workload, String app, Map<String, String> env,
      String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("--port", "0"));
    if (!List.of(extraArgs).contains("--tls")) {
      args.addAll(List.of("--tls", "default"));
    }
    args.addAll(List.of(extraArgs));
    JvmProcess process = app(app, spire, workload, app, env, args.toArray(String[]::new)).start();
    try {
      Matcher port = process.awaitOutput("LISTENING port=(\\d+)", Duration.ofSeconds(60));
      return new Server(app, process, Integer.parseInt(port.group(1)));
    } catch (RuntimeException e) {
      process.close();
      throw e;
    }
  }

  /** Runs a client app to completion and returns what it printed. */
  static ClientRun client(SpireCluster spire, Workload workload, String app, String target,
      int requests, Map<String, String> env, String... extraArgs) {
    List<String> args = new ArrayList<>(List.of(
        app.startsWith("Grpc") ? "--target" : "--url", target,
        "--requests", Integer.toString(requests), "--tls", "default"));
    args.addAll(List.of(extraArgs));
    try (JvmProcess process = app(app, spire, workload, app, env, args.toArray(String[]::new))
        .start()) {
      int exit = process.awaitExit(Duration.ofSeconds(90));
      return new ClientRun(app, exit, process.output());
    }
  }

  /**
   * Waits (bounded) until something accepts connections on the loopback {@code port}: a javaagent
   * port that opens with the runtime (the health port) comes up after the application listens,
   * later still on a busy machine (ByteBuddy now loads there, not before main).
   */
  static void awaitListening(int port, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (java.net.Socket probe = new java.net.Socket()) {
        probe.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1_000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("nothing listens on 127.0.0.1:" + port + " after " + timeout, e);
        }
        Thread.sleep(200);
      }
    }
  }

  static Map<String, String> env(String... keyValues) {
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return env;
  }

  /** A running server app. */
  record Server(String app, JvmProcess process, int port) implements AutoCloseable {
    String httpsUrl() {
      return "https://localhost:" + port + "/hello";
    }

    String target() {
      return "localhost:" + port;
    }

    @Override
    public void close() {
      process.close();
    }
  }

  /** What a client app printed and its exit code. */
  record ClientRun(String app, int exit, String output) {
    @Override
    public String toString() {
      return app + " exited " + exit + ":\n" + output;
    }
  }
}
