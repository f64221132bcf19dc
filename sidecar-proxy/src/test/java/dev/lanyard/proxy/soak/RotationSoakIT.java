package dev.lanyard.proxy.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.proxy.PeerIdApp;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ProcessFigures;
import dev.lanyard.testkit.ProcessFigures.Sample;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9 points 1 and 14: the rotation soak and the leak soak, through the javaagent and the
 * sidecar at once, on real SPIRE with SVIDs of {@value #TTL_SECONDS} s (the SPIRE Agent renews
 * them when less than half their life is left, on a 5 s sync: every workload rotates about
 * every 10 s).
 *
 * <pre>
 * javaagent: OkHttpClientApp (new connection per request) ══mTLS══▶ JdkHttpsServerApp
 *            TlsEchoApp client (one connection, streaming) ══mTLS══▶ TlsEchoApp server
 * sidecar:   test (new connection per request) → A's forward proxy ══mTLS══▶ B → HTTP app
 *            test (one connection, streaming) → A's static upstream ══mTLS══▶ B → echo app
 * </pre>
 *
 * Asserts: zero failed requests; every SVID each workload held (its {@code /identity}, polled
 * twice a second) was used in a full handshake its peer accepted, soon after it was issued (a new
 * connection succeeds after every rotation); both long-lived connections lived through every
 * rotation and their data came back intact (SHA-256 of what was sent and what was echoed); and,
 * sampled in all six processes after a full GC, heap, threads, file descriptors and direct
 * memory stay flat after the warm-up. {@code make test} runs it for 2 minutes;
 * {@code LANYARD_SOAK_MINUTES=30} (what {@code make soak} sets) for longer.
 */
class RotationSoakIT {
  static final int TTL_SECONDS = 20;
  static final Duration MINUTES = Duration.ofMinutes(
      Long.parseLong(System.getenv().getOrDefault("LANYARD_SOAK_MINUTES", "2")));
  static final boolean LONG = MINUTES.toMinutes() >= 10;
  static final Duration WARM_UP = LONG ? Duration.ofMinutes(3) : Duration.ofSeconds(40);
  static final Duration SAMPLE_EVERY = LONG ? Duration.ofSeconds(60) : Duration.ofSeconds(20);
  /** A new SVID must be in a full handshake within the rotation watch (5 s) plus slack. */
  static final Duration FIRST_USE_BOUND = Duration.ofSeconds(6);
  static final Path AGENT_JAR = Path.of(System.getProperty("lanyard.javaagent.jar",
      "../javaagent/target/lanyard-javaagent.jar")).toAbsolutePath();
  static final Path SIDECAR_JAR = Path.of("target/lanyard-sidecar.jar").toAbsolutePath();
  static final Path COMPAT = Path.of(System.getProperty("lanyard.compat.dir",
      "../compat-apps/target")).toAbsolutePath();
  static final Pattern SERIAL = Pattern.compile("\"serial\"\\s*:\\s*\"([0-9a-f]+)\"");
  static final Pattern NOT_AFTER = Pattern.compile("\"not_after\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern ROTATIONS = Pattern.compile("\"rotation_count\"\\s*:\\s*(\\d+)");
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient ADMIN = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  @RegisterExtension
  static final SpireExtension spire =
      SpireExtension.builder().svidTtl(Duration.ofSeconds(TTL_SECONDS)).build();

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @Test
  void rotationsFailNoRequestKeepStreamsIntactAndLeakNothing() throws Exception {
    SpireCluster cluster = spire.cluster();
    String td = "spiffe://" + cluster.trustDomain();
    String jvmServerId = td + "/ns/soak/sa/jvm-server";
    String jvmClientId = td + "/ns/soak/sa/jvm-client";
    String sidecarBId = td + "/ns/soak/sa/py-server";
    String sidecarAId = td + "/ns/soak/sa/py-client";
    int jvmServerGid = 6801;
    int jvmClientGid = 6802;
    int sidecarBGid = 6803;
    int sidecarAGid = 6804;
    cluster.register(jvmServerId, "unix:gid:" + jvmServerGid);
    cluster.register(jvmClientId, "unix:gid:" + jvmClientGid);
    cluster.register(sidecarBId, "unix:gid:" + sidecarBGid);
    cluster.register(sidecarAId, "unix:gid:" + sidecarAGid);
    cluster.awaitSvidForGid(jvmServerGid, jvmServerId, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(jvmClientGid, jvmClientId, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(sidecarBGid, sidecarBId, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(sidecarAGid, sidecarAId, Duration.ofSeconds(30));

    try {
      // The apps behind sidecar B: plain HTTP and a plain echo, in this JVM.
      PeerIdApp app = PeerIdApp.start();
      closeables.add(app);
      ServerSocket echoApp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      closeables.add(echoApp);
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            EchoStream.echo(echoApp.accept());
          }
        } catch (IOException e) {
          // closed at the end
        }
      }, "echo-app");
      acceptor.setDaemon(true);
      acceptor.start();

      int meshHttp = FreePorts.next();
      int meshEcho = FreePorts.next();
      int proxyA = FreePorts.next();
      int tcpA = FreePorts.next();
      Workload sidecarB = start(sidecar("sidecar-b", sidecarBGid, cluster)
          .env("LANYARD_INBOUND", meshHttp + ":" + app.port() + ","
              + meshEcho + ":" + echoApp.getLocalPort() + "/tcp"), "lanyard: sidecar ready");
      Workload sidecarA = start(sidecar("sidecar-a", sidecarAGid, cluster)
          .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxyA)
          .env("LANYARD_OUTBOUND", "127.0.0.1:" + tcpA + "=localhost:" + meshEcho)
          .env("LANYARD_MESH_HOSTS", "localhost"), "lanyard: sidecar ready");
      Workload httpsServer = start(agentApp("jvm-https-server", jvmServerGid, cluster,
          "dev.lanyard.compat.JdkHttpsServerApp", "--port", "0", "--tls", "default"),
          "LISTENING port=");
      Workload echoServer = start(agentApp("jvm-echo-server", jvmServerGid, cluster,
          TlsEchoApp.class.getName(), "server"), "LISTENING port=");
      int httpsPort = port(httpsServer);
      int echoPort = port(echoServer);

      long trafficSeconds = MINUTES.toSeconds();
      Workload okhttp = start(agentApp("jvm-okhttp-client", jvmClientGid, cluster,
          "dev.lanyard.compat.OkHttpClientApp", "--url", "https://localhost:" + httpsPort + "/soak",
          "--requests", "0", "--concurrency", "1", "--interval-ms", "100", "--tls", "default",
          "--new-connection-per-request"), "OK status=");
      Path stopStreams = Files.createTempFile("lanyard-soak-", ".stop");
      Files.delete(stopStreams);
      closeables.add(() -> Files.deleteIfExists(stopStreams));
      Workload echoClient = start(agentApp("jvm-echo-client", jvmClientGid, cluster,
          TlsEchoApp.class.getName(), "client", Integer.toString(echoPort),
          stopStreams.toString()), "STREAM CONNECTED");
      List<Workload> sampled = List.of(httpsServer, echoServer, okhttp, echoClient, sidecarA,
          sidecarB);
      sampled.forEach(workload -> ProcessFigures.sample(workload.pid(), 0)); // attach listeners
      Map<String, Workload> tracked = new LinkedHashMap<>();
      tracked.put("javaagent server", httpsServer);
      tracked.put("javaagent client", okhttp);
      tracked.put("sidecar B", sidecarB);
      tracked.put("sidecar A", sidecarA);
      Map<String, Long> rotationsBefore = new LinkedHashMap<>();
      tracked.forEach((name, workload) -> rotationsBefore.put(name, rotations(workload)));
      // Each workload's SVID, twice a second, on a thread of its own (sampling must not delay it).
      AtomicBoolean polling = new AtomicBoolean(true);
      Thread poller = repeatOnThread("identity-poller", polling, 500,
          () -> tracked.values().forEach(Workload::poll));
      closeables.add(() -> polling.set(false));
      long started = System.nanoTime();
      Instant startedAt = Instant.now();
      SidecarTraffic sidecarTraffic = new SidecarTraffic(proxyA, meshHttp, sidecarAId, sidecarBId);
      closeables.add(sidecarTraffic);
      Socket sidecarStreamSocket = new Socket(InetAddress.getLoopbackAddress(), tcpA);
      EchoStream sidecarStream = new EchoStream(sidecarStreamSocket);
      closeables.add(sidecarStream);
      Thread sidecarPump = new Thread(() -> {
        try {
          sidecarStream.pump(() -> Files.exists(stopStreams), 16 * 1024, 50, tcpA);
        } catch (IOException | InterruptedException e) {
          System.out.println("sidecar stream writer: " + e);
        }
      }, "sidecar-stream");
      sidecarPump.start();


      // Run: sample every process's figures while the poller follows the SVIDs.
      long warmUpEnd = started + WARM_UP.toNanos();
      long end = started + MINUTES.toNanos();
      long nextSample = warmUpEnd;
      Map<Workload, List<Sample>> samples = new LinkedHashMap<>();
      sampled.forEach(workload -> samples.put(workload, new ArrayList<>()));
      while (System.nanoTime() < end) {
        if (System.nanoTime() >= nextSample) {
          long at = Duration.ofNanos(System.nanoTime() - started).toMillis();
          for (Workload workload : sampled) {
            samples.get(workload).add(ProcessFigures.sample(workload.pid(), at));
          }
          nextSample += SAMPLE_EVERY.toNanos();
        }
        Thread.sleep(1_000);
      }
      for (Workload workload : sampled) {
        samples.get(workload).add(ProcessFigures.sample(workload.pid(),
            Duration.ofNanos(System.nanoTime() - started).toMillis()));
      }

      // Stop the traffic, collect the long-lived streams' digests.
      Instant trafficEnd = Instant.now();
      polling.set(false);
      poller.join(10_000);
      Files.createFile(stopStreams);
      sidecarTraffic.close();
      sidecarPump.join(30_000);
      EchoStream.Result sidecarStreamResult = sidecarStream.finish(30_000);
      Matcher jvmStream = echoClient.process.awaitOutput("STREAM DONE .*",
          Duration.ofSeconds(60));
      Matcher jvmStreamFields = Pattern.compile("sent=(\\d+) received=(\\d+) sent_sha256=(\\S+)"
          + " received_sha256=(\\S+) failure=(.*)").matcher(jvmStream.group());
      assertThat(jvmStreamFields.find()).isTrue();
      okhttp.process.stop();
      String okhttpSummary = okhttp.process.output().lines()
          .filter(line -> line.startsWith("SUMMARY")).reduce((a, b) -> b).orElse("(none)");
      Thread.sleep(2_000); // the last access-log and audit lines reach the outputs
      // Sidecar B's connection metrics agree with what went through it.
      String metricsB = get(sidecarB.admin, "/metrics");
      double httpConnections = metric(metricsB, "lanyard_sidecar_connections_total{close=\"normal\","
          + "direction=\"inbound\",listener=\"inbound:" + meshHttp + "\"}");
      double echoBytesIn = metric(metricsB, "lanyard_sidecar_bytes_total{direction=\"inbound\","
          + "flow=\"from_client\",listener=\"inbound:" + meshEcho + "\"}");
      Map<String, Long> rotationsDuring = new LinkedHashMap<>();
      tracked.forEach((name, workload) ->
          rotationsDuring.put(name, workload.lastRotations - rotationsBefore.get(name)));

      // Figures first (they are the point of a soak), then the assertions.
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      StringBuilder report = new StringBuilder("rotation soak: " + took.toSeconds() + " s, SVID TTL "
          + TTL_SECONDS + " s, traffic from " + startedAt + " to " + trafficEnd + "\n");
      report.append("  javaagent OkHttp (new connection per request): ").append(okhttpSummary)
          .append('\n');
      report.append("  sidecar (new connection per request through A's proxy): ok=")
          .append(sidecarTraffic.ok.get()).append(" failed=").append(sidecarTraffic.failures.size())
          .append(", slowest ").append(sidecarTraffic.slowestMillis).append(" ms (sent ")
          .append(sidecarTraffic.slowestAt).append(")\n");
      report.append("  sidecar B /metrics: ").append((long) httpConnections)
          .append(" connections closed normally on the HTTP mesh port, ").append((long) echoBytesIn)
          .append(" bytes from the client on the echo mesh port\n");
      report.append("  javaagent stream: ").append(jvmStream.group()).append('\n');
      report.append("  sidecar stream: ").append(sidecarStreamResult.line()).append('\n');
      Map<String, Workload> peerOf = Map.of("javaagent server", okhttp, "javaagent client",
          httpsServer, "sidecar B", sidecarA, "sidecar A", sidecarB);
      Map<String, String> peerAction = Map.of("javaagent server", "tls.connect",
          "javaagent client", "tls.accept", "sidecar B", "tls.connect", "sidecar A", "tls.accept");
      Map<String, List<String>> unseen = new LinkedHashMap<>();
      Map<String, Duration> slowest = new LinkedHashMap<>();
      for (Map.Entry<String, Workload> entry : tracked.entrySet()) {
        String name = entry.getKey();
        Workload workload = entry.getValue();
        Map<String, Instant> firstHandshake =
            firstAllowedHandshakes(peerOf.get(name).process.output(), peerAction.get(name));
        List<String> missing = new ArrayList<>();
        Duration worst = Duration.ZERO;
        Instant lastHandshake = firstHandshake.values().stream().max(Instant::compareTo)
            .orElse(null);
        List<Map.Entry<String, Instant>> held;
        synchronized (workload.serials) {
          held = new ArrayList<>(workload.serials.entrySet());
        }
        for (int i = 0; i < held.size(); i++) {
          String serial = held.get(i).getKey();
          Instant from = held.get(i).getValue();
          Instant until = i + 1 < held.size() ? held.get(i + 1).getValue() : trafficEnd;
          Instant used = firstHandshake.get(serial);
          if (used == null) {
            // Required of every SVID held for a while once all the traffic had started (the
            // first ones may be replaced while the other processes start; the last may arrive
            // just before the end).
            if (until.isAfter(startedAt.plusSeconds(2))
                && from.isBefore(trafficEnd.minusSeconds(3))) {
              missing.add(serial + " (held " + from + " to " + until + ")");
            }
            continue;
          }
          Duration delay = Duration.between(from, used);
          if (from.isAfter(startedAt) && delay.compareTo(worst) > 0) {
            worst = delay;
          }
        }
        unseen.put(name, missing);
        slowest.put(name, worst);
        report.append(String.format("  %s: %d rotations, %d SVIDs held, %d used by its peer,"
                + " slowest first use after arrival %d ms, unseen %s (traffic stopped %s, the"
                + " last new SVID first used %s)%n", name,
            rotationsDuring.get(name), workload.serials.size(),
            workload.serials.keySet().stream().filter(firstHandshake::containsKey).count(),
            worst.toMillis(), missing, trafficEnd, lastHandshake));
      }
      Map<Workload, String> names = new LinkedHashMap<>();
      names.put(httpsServer, "javaagent HTTPS server");
      names.put(echoServer, "javaagent echo server");
      names.put(okhttp, "javaagent OkHttp client");
      names.put(echoClient, "javaagent echo client");
      names.put(sidecarA, "sidecar A");
      names.put(sidecarB, "sidecar B");
      List<String> growth = new ArrayList<>();
      for (Workload workload : sampled) {
        List<Sample> series = samples.get(workload);
        report.append("  ").append(names.get(workload)).append(": ").append(flatness(series))
            .append('\n');
        String grew = growth(series);
        if (grew != null) {
          growth.add(names.get(workload) + " " + grew);
        }
      }
      System.out.println(report);
      Files.writeString(Path.of("target", "rotation-soak-" + MINUTES.toMinutes() + "min.txt"),
          report.toString());

      assertThat(okhttpSummary).as(failureLines(okhttp.process.output()))
          .matches("SUMMARY ok=[1-9]\\d* failed=0 .*");
      assertThat(sidecarTraffic.failures).as("sidecar requests that failed").isEmpty();
      assertThat(sidecarTraffic.ok.get()).isGreaterThan((int) (trafficSeconds * 3));
      assertThat(jvmStreamFields.group(5)).as("javaagent stream failure").isEqualTo("null");
      assertThat(jvmStreamFields.group(1)).as("javaagent stream bytes echoed")
          .isEqualTo(jvmStreamFields.group(2));
      assertThat(jvmStreamFields.group(3)).as("javaagent stream digest")
          .isEqualTo(jvmStreamFields.group(4));
      assertThat(Long.parseLong(jvmStreamFields.group(1))).isGreaterThan(trafficSeconds * 100_000);
      assertThat(sidecarStreamResult.intact()).as(sidecarStreamResult.line()).isTrue();
      assertThat(sidecarStreamResult.sentBytes()).isGreaterThan(trafficSeconds * 100_000);
      assertThat(httpConnections).as("B's closed HTTP connections in /metrics")
          .isGreaterThanOrEqualTo(sidecarTraffic.ok.get());
      assertThat(echoBytesIn).as("B's stream bytes in /metrics")
          .isEqualTo((double) sidecarStreamResult.sentBytes());
      // Both streams kept one connection from before the first rotation to after the last.
      assertThat(echoClient.process.output()).containsOnlyOnce("STREAM CONNECTED");
      assertThat(echoServer.process.output()).doesNotContain("ECHO connection ended");
      long minimumRotations = Math.max(3, MINUTES.toSeconds() / TTL_SECONDS);
      rotationsDuring.forEach((name, count) ->
          assertThat(count).as("rotations of " + name).isGreaterThanOrEqualTo(minimumRotations));
      unseen.forEach((name, missing) ->
          assertThat(missing).as("SVIDs of " + name + " never used by its peer").isEmpty());
      slowest.forEach((name, delay) -> assertThat(delay)
          .as("slowest first use of a new SVID of " + name).isLessThan(FIRST_USE_BOUND));
      for (Workload workload : sampled) {
        assertThat(workload.process.output()).as(names.get(workload) + " output")
            .doesNotContain("\"result\":\"denied\"").doesNotContain("Exception in thread");
      }
      assertThat(growth).as("figures that grew after the warm-up").isEmpty();
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          System.err.println("cleanup: " + e);
        }
      }
    }
  }

  // ---------------------------------------------------------------- workloads

  /**
   * A running process, its admin endpoint and the SVID serials it held, each with the time it was
   * issued (its notAfter less the TTL: SPIRE backdates notBefore, and a poll can come late).
   */
  final class Workload {
    final JvmProcess process;
    final String admin;
    final Map<String, Instant> serials = Collections.synchronizedMap(new LinkedHashMap<>());
    volatile long lastRotations;

    Workload(JvmProcess process, String admin) {
      this.process = process;
      this.admin = admin;
    }

    long pid() {
      return process.pid();
    }

    /** Reads {@code /identity}; a failed read (admin endpoint not up yet) is retried next time. */
    void poll() {
      String identity;
      try {
        identity = get(admin, "/identity");
      } catch (IllegalStateException e) {
        System.out.println("poll " + admin + ": " + e.getMessage());
        return;
      }
      Matcher serial = SERIAL.matcher(identity);
      Matcher notAfter = NOT_AFTER.matcher(identity);
      if (serial.find()) {
        Instant issued = notAfter.find()
            ? Instant.parse(notAfter.group(1)).minusSeconds(TTL_SECONDS) : Instant.now();
        serials.putIfAbsent(serial.group(1), issued);
      }
      Matcher rotations = ROTATIONS.matcher(identity);
      if (rotations.find()) {
        lastRotations = Long.parseLong(rotations.group(1));
      }
    }
  }

  private Workload start(JvmProcess.Builder builder, String readyLine) {
    JvmProcess process = builder.start();
    closeables.add(process);
    process.awaitOutput(Pattern.compile(Pattern.quote(readyLine)), Duration.ofSeconds(60));
    Workload workload = new Workload(process, adminOf.get(builder));
    workload.poll();
    return workload;
  }

  private final Map<JvmProcess.Builder, String> adminOf = new ConcurrentHashMap<>();

  private JvmProcess.Builder sidecar(String name, int gid, SpireCluster cluster) {
    String admin = "127.0.0.1:" + FreePorts.next();
    JvmProcess.Builder builder = JvmProcess.builder(name).jar(SIDECAR_JAR).gid(gid)
        .jvmArg("-Xmx64m", "-XX:+UseSerialGC", "-XX:NativeMemoryTracking=summary")
        .env("SPIFFE_ENDPOINT_SOCKET", cluster.workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", admin)
        .env("LANYARD_SHUTDOWN_ADDRESS", "127.0.0.1:" + FreePorts.next())
        .env("LANYARD_OUTBOUND_PROXY", "off")
        .env("LANYARD_AUDIT", "all");
    adminOf.put(builder, admin);
    return builder;
  }

  private JvmProcess.Builder agentApp(String name, int gid, SpireCluster cluster,
      String mainClass, String... args) {
    String admin = "127.0.0.1:" + FreePorts.next();
    JvmProcess.Builder builder = JvmProcess.builder(name)
        .classpath(COMPAT.resolve("classes") + ":" + compatRuntime() + ":"
            + Path.of("target", "test-classes").toAbsolutePath())
        .mainClass(mainClass)
        .args(args)
        .gid(gid)
        .javaagent(AGENT_JAR)
        .jvmArg("-XX:NativeMemoryTracking=summary")
        .env("SPIFFE_ENDPOINT_SOCKET", cluster.workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", admin)
        .env("LANYARD_STARTUP", "wait=20s,then=fail")
        .env("LANYARD_AUDIT", "all");
    adminOf.put(builder, admin);
    return builder;
  }

  private static String compatRuntime() {
    try {
      return Files.readString(COMPAT.resolve("classpath.txt")).trim();
    } catch (IOException e) {
      throw new IllegalStateException("compat-apps not built: run ./mvnw -pl compat-apps package", e);
    }
  }

  private static int port(Workload workload) {
    return Integer.parseInt(workload.process.awaitOutput(Pattern.compile("LISTENING port=(\\d+)"),
        Duration.ofSeconds(5)).group(1));
  }

  private static long rotations(Workload workload) {
    workload.poll();
    return workload.lastRotations;
  }

  private static String get(String admin, String path) {
    try {
      return ADMIN.send(HttpRequest.newBuilder(URI.create("http://" + admin + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      throw new IllegalStateException("admin endpoint " + admin + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- traffic through the sidecars

  /** Requests through sidecar A's forward proxy to B's mesh port, each on a new connection. */
  static final class SidecarTraffic implements AutoCloseable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicInteger ok = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final Thread thread;
    volatile long slowestMillis;
    volatile Instant slowestAt;

    SidecarTraffic(int proxy, int mesh, String callerId, String serverId) {
      thread = repeatOnThread("sidecar-traffic", running, 100,
          () -> requestOnce(proxy, mesh, callerId, serverId));
    }

    private void requestOnce(int proxy, int mesh, String callerId, String serverId) {
      String response;
      Instant sent = Instant.now();
      long began = System.nanoTime();
      try {
        response = PeerIdApp.viaProxy(proxy, mesh, "/soak");
      } catch (IOException e) {
        response = e.toString();
      }
      long tookMillis = (System.nanoTime() - began) / 1_000_000;
      if (tookMillis > slowestMillis) {
        slowestMillis = tookMillis;
        slowestAt = sent;
      }
      if (response.startsWith("HTTP/1.1 200") && response.endsWith("peer=" + callerId)
          && response.contains(serverId)) {
        ok.incrementAndGet();
      } else {
        failures.add(Instant.now() + " " + response);
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(25_000);
    }
  }

  /** A daemon thread doing {@code step} every {@code pauseMillis} until {@code running} is false. */
  static Thread repeatOnThread(String name, AtomicBoolean running, long pauseMillis, Runnable step) {
    Thread thread = new Thread(() -> {
      while (running.get()) {
        step.run();
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  // ---------------------------------------------------------------- figures

  /** Peer serial to the time of the first allowed full handshake with it, from audit records. */
  static Map<String, Instant> firstAllowedHandshakes(String output, String action) {
    Map<String, Instant> first = new LinkedHashMap<>();
    output.lines().filter(line -> line.startsWith("{") && line.contains("\"" + action + "\""))
        .forEach(line -> {
          try {
            JsonNode record = JSON.readTree(line);
            if (action.equals(record.path("action").asText())
                && "allowed".equals(record.path("result").asText())
                && record.hasNonNull("peer_serial")) {
              first.putIfAbsent(record.get("peer_serial").asText(),
                  Instant.parse(record.get("timestamp").asText()));
            }
          } catch (IOException e) {
            // not an audit record
          }
        });
    return first;
  }

  /** Baseline (first sample after the warm-up), the highest, and the last. */
  static String flatness(List<Sample> series) {
    Sample base = series.get(0);
    Sample last = series.get(series.size() - 1);
    long maxHeap = series.stream().mapToLong(Sample::heapAfterGcKb).max().orElse(0);
    int maxThreads = series.stream().mapToInt(Sample::threads).max().orElse(0);
    int maxFds = series.stream().mapToInt(Sample::fds).max().orElse(0);
    long maxDirect = series.stream().mapToLong(Sample::directKb).max().orElse(0);
    return String.format("%d samples from %d s; heap after GC %d -> max %d -> %d KiB; threads %d"
            + " -> max %d -> %d; fds %d -> max %d -> %d; direct %d -> max %d -> %d KiB;"
            + " RSS %d -> %d MiB", series.size(), base.atMillis() / 1000, base.heapAfterGcKb(),
        maxHeap, last.heapAfterGcKb(), base.threads(), maxThreads, last.threads(), base.fds(),
        maxFds, last.fds(), base.directKb(), maxDirect, last.directKb(), base.rssKb() / 1024,
        last.rssKb() / 1024);
  }

  /**
   * A leak raises every later sample; a transient bump (a GC that kept a connection's buffers,
   * a connection open at that moment) raises one. So: the lowest of the last three samples
   * against the baseline, with a margin per figure.
   */
  static String growth(List<Sample> series) {
    if (series.size() < 4) {
      return "only " + series.size() + " samples";
    }
    Sample base = series.get(0);
    List<Sample> tail = series.subList(series.size() - 3, series.size());
    long heap = tail.stream().mapToLong(Sample::heapAfterGcKb).min().orElseThrow();
    int threads = tail.stream().mapToInt(Sample::threads).min().orElseThrow();
    int fds = tail.stream().mapToInt(Sample::fds).min().orElseThrow();
    long direct = tail.stream().mapToLong(Sample::directKb).min().orElseThrow();
    List<String> grew = new ArrayList<>();
    if (heap > base.heapAfterGcKb() + Math.max(2048, base.heapAfterGcKb() / 10)) {
      grew.add("heap " + base.heapAfterGcKb() + " -> " + heap + " KiB");
    }
    if (threads > base.threads() + 2) {
      grew.add("threads " + base.threads() + " -> " + threads);
    }
    if (fds > base.fds() + 4) {
      grew.add("fds " + base.fds() + " -> " + fds);
    }
    if (direct > base.directKb() + 512) {
      grew.add("direct " + base.directKb() + " -> " + direct + " KiB");
    }
    return grew.isEmpty() ? null : String.join(", ", grew);
  }

  /** The value of one sample line of the Prometheus text format. */
  static double metric(String text, String series) {
    return text.lines().filter(line -> line.startsWith(series + " ")).findFirst()
        .map(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
        .orElseThrow(() -> new AssertionError("no " + series + " in /metrics:\n" + text));
  }

  static String failureLines(String output) {
    return output.lines().filter(line -> line.startsWith("FAIL")).limit(10)
        .reduce("", (a, b) -> a + b + "\n");
  }
}
