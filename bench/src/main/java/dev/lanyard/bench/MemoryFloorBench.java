package dev.lanyard.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Where the sidecar's idle memory comes from, measured against floors in one run: a JVM doing
 * nothing, and the smallest mTLS server the sidecar's mandated libraries allow (Netty + BoringSSL
 * via netty-tcnative, {@link MemoryFloorServer}), each with the sidecar's documented flags, next
 * to the sidecar itself on a real SPIRE. Each process runs alone; its VmRSS, RssAnon and RssFile
 * are read after it has idled, then again after one mTLS handshake has gone through it. Run by
 * {@code bench/memory-floor.sh}; writes {@code bench/results/memory-floor-<date>.md} and .json.
 */
public final class MemoryFloorBench {
  static final long TARGET_KIB = 64 * 1024;
  private static final Path SIDECAR_JAR = Path.of("sidecar-proxy/target/lanyard-sidecar.jar").toAbsolutePath();
  private static final Path BENCH_CLASSES = Path.of("bench/target/classes").toAbsolutePath();
  private static final int SIDECAR_GID = 6731;
  private static final String LISTENING = "LISTENING port=(\\d+)";

  /** The flags the sidecar README documented before TrimNativeHeapInterval joined them. */
  static final List<String> FLAGS_WITHOUT_TRIM = SidecarBench.DOCUMENTED_FLAGS.stream()
      .filter(flag -> !flag.startsWith("-XX:TrimNativeHeapInterval")).toList();

  enum Kind { IDLE_JVM, NETTY_MTLS, SIDECAR }

  record Variant(String name, String what, Kind kind, List<String> flags) {}

  record Settings(String command, Path out, int rounds, int idleSeconds, Path javaHome) {
    static Settings parse(String[] args) {
      Map<String, String> values = BenchArgs.options(args);
      return new Settings(values.getOrDefault("command", "bench/memory-floor.sh"),
          Path.of(values.getOrDefault("out", "bench/results")),
          Integer.parseInt(values.getOrDefault("rounds", "3")),
          Integer.parseInt(values.getOrDefault("idle-seconds", "10")),
          Path.of(values.getOrDefault("java-home", System.getProperty("java.home"))));
    }

    /** Whether the measured processes run on another JDK than the benchmark's own. */
    boolean otherJdk() {
      return !javaHome.equals(Path.of(System.getProperty("java.home")));
    }
  }

  /** One process's memory at one moment, in KiB. */
  record Sample(long rss, long anon, long file) {
    static Sample of(SidecarChild child) {
      return new Sample(child.rssKb(), Machine.rssAnonKb(child.pid()), Machine.rssFileKb(child.pid()));
    }
  }

  /** What one variant measured over the rounds: idle, then after one handshake. */
  static final class Samples {
    final List<Sample> idle = new ArrayList<>();
    final List<Sample> afterHandshake = new ArrayList<>();
    String command = "";
    String started = "";
  }

  static final List<Variant> VARIANTS = List.of(
      new Variant("jvm", "a JVM doing nothing (`IdleJvm`)", Kind.IDLE_JVM, SidecarBench.DOCUMENTED_FLAGS),
      new Variant("netty-mtls", "Netty + BoringSSL mTLS server, one event loop, nothing of Lanyard's"
          + " (`MemoryFloorServer`)", Kind.NETTY_MTLS, SidecarBench.DOCUMENTED_FLAGS),
      new Variant("netty-mtls-xint", "the same, interpreter only (no JIT, no code cache)",
          Kind.NETTY_MTLS, plus(SidecarBench.DOCUMENTED_FLAGS, "-Xint")),
      new Variant("sidecar", "the sidecar: inbound listener, outbound proxy, admin endpoint, real SPIRE",
          Kind.SIDECAR, SidecarBench.DOCUMENTED_FLAGS),
      new Variant("sidecar-no-trim", "the sidecar with the flags documented before this run"
          + " (no TrimNativeHeapInterval)", Kind.SIDECAR, FLAGS_WITHOUT_TRIM));

  private final Settings settings;
  private final TempDir work = TempDir.create("lanyard-memory-floor-");
  private final Path logs;
  private final Path sidecarJar;
  private final Map<String, Samples> results = new LinkedHashMap<>();
  private final Instant started = Instant.now();
  private double[] loadAtStart;
  private double[] loadAtEnd;
  private String spireVersion = "";

  private MemoryFloorBench(Settings settings) throws IOException {
    this.settings = settings;
    this.logs = work.dir("logs");
    // A copy: a rebuild during the run must not change what is measured.
    this.sidecarJar = Files.copy(SIDECAR_JAR, work.dir("snapshot").resolve("lanyard-sidecar.jar"));
    VARIANTS.forEach(variant -> results.put(variant.name(), new Samples()));
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    BenchArgs.requireBuilt("bench/memory-floor.sh",
        List.of(SIDECAR_JAR, BENCH_CLASSES.resolve("dev/lanyard/bench/MemoryFloorServer.class")));
    MemoryFloorBench bench = new MemoryFloorBench(settings);
    try {
      bench.run();
    } finally {
      bench.work.close();
    }
  }

  private void run() throws Exception {
    loadAtStart = Machine.loadAverage();
    log("SPIRE: starting server and SPIRE Agent");
    try (SpireCluster spire = SpireCluster.start(
        SpireOptions.builder().svidTtl(Duration.ofMinutes(30)).build())) {
      spireVersion = Machine.firstLine(List.of(Tools.require("spire-server").toString(), "--version"));
      String sidecarId = "spiffe://" + spire.trustDomain() + "/ns/bench/sa/floor-sidecar";
      String clientId = "spiffe://" + spire.trustDomain() + "/ns/bench/sa/floor-client";
      spire.register(sidecarId, "unix:gid:" + SIDECAR_GID);
      spire.awaitSvidForGid(SIDECAR_GID, sidecarId, Duration.ofSeconds(60));
      TestPki.Issued spireClient = TestPki.ofSpireServer(spire).svid(clientId);
      TestPki floorPki = TestPki.create("memory floor CA");
      for (int round = 0; round < settings.rounds(); round++) {
        // Rotated order, so no variant always runs first after SPIRE's start or last.
        for (int i = 0; i < VARIANTS.size(); i++) {
          Variant variant = VARIANTS.get((i + round) % VARIANTS.size());
          measure(variant, round, spire, floorPki, spireClient, clientId);
        }
      }
    }
    loadAtEnd = Machine.loadAverage();
    Path written = write();
    log("results: " + written + " (and .json)");
  }

  private void measure(Variant variant, int round, SpireCluster spire, TestPki floorPki,
      TestPki.Issued spireClient, String clientId) throws Exception {
    Samples samples = results.get(variant.name());
    String name = variant.name() + "-" + round;
    List<String> command;
    Map<String, String> env = new LinkedHashMap<>();
    int meshPort = 0;
    SSLContext client;
    switch (variant.kind()) {
      case IDLE_JVM -> {
        command = jvm(name, variant).classpath(BENCH_CLASSES).mainClass(IdleJvm.class.getName()).command();
        client = null;
      }
      case NETTY_MTLS -> {
        // The sidecar's own jar on the class path: the very Netty and tcnative it ships.
        command = jvm(name, variant).classpath(BENCH_CLASSES + ":" + sidecarJar)
            .mainClass(MemoryFloorServer.class.getName()).command();
        client = floorPki.client("memory floor client", "bench").presentingContext();
      }
      case SIDECAR -> {
        command = jvm(name, variant).gid(SIDECAR_GID).jar(sidecarJar).command();
        meshPort = FreePorts.next();
        env.put("SPIFFE_ENDPOINT_SOCKET", spire.workloadApiAddress());
        env.put("LANYARD_ADMIN_ADDRESS", "127.0.0.1:" + FreePorts.next());
        env.put("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + FreePorts.next());
        env.put("LANYARD_SHUTDOWN_ADDRESS", "off");
        env.put("LANYARD_INBOUND", meshPort + ":" + FreePorts.next());
        env.put("LANYARD_ALLOWED_PEERS", clientId);
        client = spireClient.presentingContext();
      }
      default -> throw new IllegalStateException(variant.kind().toString());
    }
    try (SidecarChild child = SidecarChild.start(name, command, env, logs)) {
      long begun = System.nanoTime();
      int port;
      if (variant.kind() == Kind.SIDECAR) {
        child.awaitLine("sidecar ready", Duration.ofSeconds(90));
        port = meshPort;
      } else {
        if (variant.kind() == Kind.NETTY_MTLS) {
          TestPki.Issued server = floorPki.server("localhost", List.of("localhost"), List.of("127.0.0.1"));
          child.send(server.certificatePem() + server.keyPem() + floorPki.caPem());
        }
        port = Integer.parseInt(child.awaitLine(LISTENING, Duration.ofSeconds(60)).group(1));
      }
      samples.started = Stats.format((System.nanoTime() - begun) / 1e6, 0) + " ms";
      samples.command = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining(" ")) + (env.isEmpty() ? "" : " ") + String.join(" ", command);
      SidecarChild.sleep(settings.idleSeconds() * 1000L);
      samples.idle.add(Sample.of(child));
      if (client != null) {
        handshake(client, port, variant.name());
        SidecarChild.sleep(settings.idleSeconds() * 1000L);
        samples.afterHandshake.add(Sample.of(child));
      }
      log(variant.name() + " round " + (round + 1) + ": idle " + samples.idle.get(round)
          + (client == null ? "" : ", after one handshake " + samples.afterHandshake.get(round)));
    }
  }

  /** A JVM of the measured JDK with the variant's flags. */
  private JvmProcess.Builder jvm(String name, Variant variant) {
    return JvmProcess.builder(name).javaHome(settings.javaHome())
        .jvmArg(variant.flags().toArray(String[]::new));
  }

  /** One mTLS connection and one request; fails the run if the handshake does not complete. */
  private static void handshake(SSLContext context, int port, String variant) throws IOException {
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      if (socket.getSession().getPeerCertificates().length == 0) {
        throw new IllegalStateException(variant + ": no server certificate in the handshake");
      }
      OutputStream out = socket.getOutputStream();
      out.write("GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      in.readAllBytes(); // the answer or a 502 (the sidecar's app port is empty): either way, one request
    }
  }

  // ---------------------------------------------------------------- report

  private Path write() throws IOException {
    Files.createDirectories(settings.out());
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(started.atOffset(ZoneOffset.UTC));
    // Another JDK's run gets its own name, so it never overwrites the day's run on the default one.
    String name = "memory-floor-" + date
        + (settings.otherJdk() ? "-" + settings.javaHome().getFileName() : "");
    Path markdown = settings.out().resolve(name + ".md");
    Files.writeString(markdown, markdown());
    Files.writeString(settings.out().resolve(name + ".json"), json());
    return markdown;
  }

  private String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# sidecar memory floor, ").append(DateTimeFormatter.ISO_INSTANT.format(
        started.truncatedTo(ChronoUnit.SECONDS))).append("\n\n");
    md.append("Produced by `").append(settings.command()).append("` (rounds=").append(settings.rounds())
        .append(", idle-seconds=").append(settings.idleSeconds()).append(").\n\n");
    md.append("| machine | |\n|---|---|\n")
        .append("| processors (nproc) | ").append(Machine.processors()).append(" |\n")
        .append("| CPU | ").append(Machine.cpuModel()).append(" |\n")
        .append("| kernel | ").append(Machine.kernel()).append(" |\n")
        .append("| JDK (measured processes) | ").append(jdkVersion()).append(" (")
        .append(settings.javaHome()).append(") |\n")
        .append("| Lanyard | ").append(Revision.of("sidecar-proxy")).append("; sidecar jar SHA-256 ")
        .append(Machine.sha256(sidecarJar)).append("… |\n")
        .append("| SPIRE | ").append(spireVersion).append(" |\n")
        .append("| load average 1/5/15 min, start | ").append(Machine.loadText(loadAtStart)).append(" |\n")
        .append("| load average 1/5/15 min, end | ").append(Machine.loadText(loadAtEnd)).append(" |\n\n");
    md.append("""
        Each process runs alone, with the sidecar's documented JVM flags unless the row says
        otherwise. "Idle" is read %d s after it is listening (the sidecar: after its ready line, SVID
        in hand); "after one handshake" %d s after one mTLS connection and request went through it
        (a JDK client presenting a certificate its trust accepts). Medians over the rounds, MiB,
        min–max in brackets. The issue's target for the sidecar: idle RSS at most 64 MiB.

        """.formatted(settings.idleSeconds(), settings.idleSeconds()));
    md.append("| variant | what | idle VmRSS | idle RssAnon | idle RssFile | after one handshake VmRSS | ready after start (last round) |\n")
        .append("|---|---|---|---|---|---|---|\n");
    for (Variant variant : VARIANTS) {
      Samples s = results.get(variant.name());
      md.append("| ").append(variant.name()).append(" | ").append(variant.what()).append(" | ")
          .append(mib(s.idle, Sample::rss)).append(" | ").append(mib(s.idle, Sample::anon)).append(" | ")
          .append(mib(s.idle, Sample::file)).append(" | ")
          .append(s.afterHandshake.isEmpty() ? "–" : mib(s.afterHandshake, Sample::rss)).append(" | ")
          .append(s.started).append(" |\n");
    }
    double floor = median(results.get("netty-mtls").idle, Sample::rss);
    double sidecar = median(results.get("sidecar").idle, Sample::rss);
    double jvm = median(results.get("jvm").idle, Sample::rss);
    md.append("\nThe libraries the issue names for the sidecar (Netty, netty-tcnative with BoringSSL)")
        .append(floor <= TARGET_KIB
            ? " leave " + Stats.format((TARGET_KIB - floor) / 1024, 1) + " MiB of the 64 MiB target"
            : " exceed the 64 MiB target by " + Stats.format((floor - TARGET_KIB) / 1024, 1) + " MiB")
        .append(" by themselves, before anything else is loaded, at idle (the JVM alone: ")
        .append(Stats.format(jvm / 1024, 1)).append(" MiB); the sidecar uses ")
        .append(Stats.format((sidecar - floor) / 1024, 1))
        .append(" MiB above that floor (the Workload API client, the admin endpoint,")
        .append(" metrics, policy, HTTP codec, outbound proxy).\n\n");
    md.append("Flags per variant:\n\n");
    for (Variant variant : VARIANTS) {
      md.append("- ").append(variant.name()).append(": `").append(String.join(" ", variant.flags()))
          .append("`\n");
    }
    md.append("\nCommands (last round):\n\n");
    results.forEach((name, s) -> md.append("- ").append(name).append(": `").append(s.command).append("`\n"));
    return md.toString();
  }

  private String json() {
    ObjectNode json = Json.object();
    json.put("command", settings.command());
    json.putObject("settings").put("rounds", settings.rounds())
        .put("idle_seconds", settings.idleSeconds());
    json.putObject("machine").put("processors", Machine.processors())
        .put("cpu", Machine.cpuModel()).put("jdk", jdkVersion())
        .put("lanyard", Revision.of("sidecar-proxy")).put("spire", spireVersion);
    json.put("target_idle_rss_kib", TARGET_KIB);
    ObjectNode variants = json.putObject("variants");
    for (Variant variant : VARIANTS) {
      Samples s = results.get(variant.name());
      ObjectNode entry = variants.putObject(variant.name());
      entry.set("flags", Json.strings(variant.flags()));
      entry.put("command", s.command);
      entry.set("idle_kib", samples(s.idle));
      entry.set("after_handshake_kib", samples(s.afterHandshake));
    }
    return Json.write(json);
  }

  private static ArrayNode samples(List<Sample> samples) {
    ArrayNode array = Json.array();
    samples.forEach(s -> array.addObject().put("rss", s.rss()).put("anon", s.anon())
        .put("file", s.file()));
    return array;
  }

  private static String mib(List<Sample> samples, java.util.function.ToLongFunction<Sample> field) {
    List<Double> values = samples.stream().map(s -> field.applyAsLong(s) / 1024.0).toList();
    return Stats.summary(values, 1);
  }

  private static double median(List<Sample> samples, java.util.function.ToLongFunction<Sample> field) {
    return Stats.median(samples.stream().map(s -> (double) field.applyAsLong(s)).toList());
  }

  /** The measured JDK's own version line ({@code java -version}'s second line). */
  private String jdkVersion() {
    String out = Machine.output(List.of(settings.javaHome().resolve("bin/java").toString(), "-version"));
    String[] lines = out.strip().split("\n");
    return lines.length > 1 ? lines[1].strip() : out.strip();
  }

  private static List<String> plus(List<String> flags, String... more) {
    return Stream.concat(flags.stream(), Stream.of(more)).toList();
  }



  private static void log(String message) {
    System.out.println("bench: " + message);
  }
}
