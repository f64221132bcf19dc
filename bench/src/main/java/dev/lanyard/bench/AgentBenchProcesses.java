package dev.lanyard.bench;

import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Process control of {@link JavaagentBench}: snapshots of the javaagent jar and the compat apps
 * (a rebuild during the run cannot change what is measured), the three server configurations,
 * client command lines, timed whole-process runs with their logs, the key store files, and
 * command lines as the repository names things for the report.
 */
final class AgentBenchProcesses implements AutoCloseable {
  // Absolute: every child JVM runs in its own temporary directory.
  static final Path BUILT_AGENT_JAR =
      Path.of("javaagent/target/lanyard-javaagent.jar").toAbsolutePath();
  static final Path BUILT_COMPAT = Path.of("compat-apps/target").toAbsolutePath();
  static final Path BENCH_CLASSES = Path.of("bench/target/classes").toAbsolutePath();
  static final int SERVER_GID = 6101;
  static final int CLIENT_GID = 6102;
  static final int STARTUP_GID = 6103;
  static final String HANDSHAKE_CLIENT = "dev.lanyard.compat.HttpsUrlConnectionApp";
  static final String WARM_CLIENT = "dev.lanyard.compat.JdkHttpClientApp";
  static final String PASSWORD = "changeit";
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

  final TempDir work = TempDir.create("lanyard-bench-");
  /** Copies taken at the start, so that a rebuild during the run cannot change what is measured. */
  final Path agentJar;
  private final Path compatClasses;
  private int logCounter;

  AgentBenchProcesses() {
    try {
      this.agentJar = Files.copy(BUILT_AGENT_JAR, work.dir("snapshot").resolve("lanyard-javaagent.jar"));
      try (var jar = new java.util.jar.JarFile(agentJar.toFile())) {
        if (jar.getManifest() == null || jar.getManifest().getMainAttributes()
            .getValue("Premain-Class") == null) {
          throw new IOException(BUILT_AGENT_JAR + " has no Premain-Class: is it being rebuilt?");
        }
      }
      this.compatClasses = copyTree(BUILT_COMPAT.resolve("classes"), work.dir("snapshot").resolve("compat-classes"));
    } catch (IOException e) {
      work.close();
      throw new UncheckedIOException("cannot snapshot the javaagent jar and compat apps", e);
    }
  }

  private static Path copyTree(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target);
        }
      }
    }
    return to;
  }

  /** A new log file under the run's logs directory, numbered in the order of the runs. */
  Path log(String name) {
    return work.dir("logs").resolve(String.format("%04d-%s.log", ++logCounter, name));
  }

  @Override
  public void close() {
    work.close();
  }

  // ---------------------------------------------------------------- set-up

  /** One configuration of the same server and client apps, its server already listening. */
  final class Config {
    final String name;
    final boolean javaagent;
    final Map<String, String> clientEnv;
    final List<String> clientTls;
    final String scheme;
    JvmProcess server;
    List<String> serverCommand;
    int port;

    Config(String name, boolean javaagent, Map<String, String> clientEnv, List<String> clientTls,
        String scheme) {
      this.name = name;
      this.javaagent = javaagent;
      this.clientEnv = clientEnv;
      this.clientTls = clientTls;
      this.scheme = scheme;
    }

    /**
     * A client run. Handshakes use {@code HttpsUrlConnectionApp} (a new connection per request,
     * closed with {@code disconnect()}): a fresh JDK {@code HttpClient} per request would spend
     * most of its time on its own threads and selector, not on TLS. Warm requests and the
     * first-request start-up use {@code JdkHttpClientApp}.
     */
    List<String> clientCommand(String runName, int requests, int concurrency, boolean handshake) {
      JvmProcess.Builder builder = JvmProcess.builder(runName).gid(CLIENT_GID)
          .classpath(compatClasspath()).mainClass(handshake ? HANDSHAKE_CLIENT : WARM_CLIENT)
          .args("--url", scheme + "://localhost:" + port + "/hello",
              "--requests", Integer.toString(requests),
              "--concurrency", Integer.toString(concurrency))
          .args(clientTls.toArray(String[]::new));
      if (handshake) {
        builder.args("--new-connection-per-request");
      }
      if (javaagent) {
        builder.javaagent(agentJar);
      }
      return builder.command();
    }
  }

  Config startConfig(List<Config> configs, String name, boolean javaagent, Map<String, String> serverEnv,
      Map<String, String> clientEnv, List<String> serverTls, List<String> clientTls,
      String scheme) {
    Config config = new Config(name, javaagent, clientEnv, clientTls, scheme);
    JvmProcess.Builder builder = JvmProcess.builder("server-" + name).gid(SERVER_GID)
        .jvmArg("-XX:NativeMemoryTracking=summary")
        .classpath(compatClasspath()).mainClass("dev.lanyard.compat.NettyServerApp")
        .args("--port", "0", "--bind", "127.0.0.1").args(serverTls.toArray(String[]::new))
        .env(serverEnv);
    if (javaagent) {
      builder.javaagent(agentJar);
    }
    config.serverCommand = builder.command();
    config.server = builder.start();
    configs.add(config);
    try {
      Matcher port = config.server.awaitOutput("LISTENING port=(\\d+)", Duration.ofSeconds(60));
      config.port = Integer.parseInt(port.group(1));
    } catch (RuntimeException e) {
      config.server.close();
      throw e;
    }
    JavaagentBench.log("server " + name + " listening on " + config.port + " (pid " + config.server.pid() + ")");
    return config;
  }

  static String register(SpireCluster spire, int gid, String path) {
    String id = "spiffe://" + spire.trustDomain() + path;
    spire.register(id, "unix:gid:" + gid);
    return id;
  }

  /** The javaagent's environment: the real SPIRE Agent, no admin port, a bounded start-up wait. */
  static Map<String, String> agentEnv(SpireCluster spire, String allowedPeer) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPIFFE_ENDPOINT_SOCKET", spire.workloadApiAddress());
    env.put("LANYARD_ADMIN_ADDRESS", "off");
    env.put("LANYARD_STARTUP", "wait=30s,then=fail");
    if (allowedPeer != null) {
      env.put("LANYARD_ALLOWED_PEERS", allowedPeer);
    }
    return env;
  }

  record Pki(Path server, Path client, Path trust) {}

  /**
   * PKCS#12 files for the key store configuration: EC P-256 keys like SPIRE's default SVIDs, a
   * server certificate for DNS localhost, a client certificate, one CA as the trust store.
   */
  Pki mintKeyStores() throws Exception {
    TestPki ca = TestPki.create("lanyard-bench-ca");
    char[] password = PASSWORD.toCharArray();
    Path dir = work.dir("pki");
    Path server = save(ca.server("localhost", List.of("localhost"), List.of("127.0.0.1"))
        .keyStore(password), dir.resolve("server.p12"), password);
    Path client = save(ca.client("bench-client", null).keyStore(password),
        dir.resolve("client.p12"), password);
    Path trust = save(ca.trustStore(), dir.resolve("trust.p12"), password);
    return new Pki(server.toAbsolutePath(), client.toAbsolutePath(), trust.toAbsolutePath());
  }

  private static Path save(KeyStore store, Path file, char[] password) throws Exception {
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password);
    }
    return file;
  }

  /** A command line as the repository names things (the run used snapshots of these paths). */
  String display(List<String> command) {
    return String.join(" ", command)
        .replace(compatClasspath(), "compat-apps/target/classes:$(cat compat-apps/target/classpath.txt)")
        .replace(agentJar.toString(), "javaagent/target/lanyard-javaagent.jar")
        .replace(BENCH_CLASSES.toString(), "bench/target/classes");
  }

  /** The snapshot of the compat apps' classes plus their runtime jars. */
  String compatClasspath() {
    try {
      return compatClasses + ":" + Files.readString(BUILT_COMPAT.resolve("classpath.txt")).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("compat-apps not built", e);
    }
  }

  // ---------------------------------------------------------------- runs

  TimedRun timed(String name, List<String> command, Map<String, String> env) {
    Path log = log(name);
    return TimedRun.run(name, command, env, log, RUN_TIMEOUT);
  }

  static TimedRun check(TimedRun run, java.util.function.Predicate<String> ok) {
    if (run.exit() != 0 || !ok.test(run.output())) {
      throw new IllegalStateException(run.name() + " failed (exit " + run.exit() + "):\n"
          + TimedRun.tail(run.output(), 40));
    }
    return run;
  }
}
