package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.BadSvidUpdate;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.TestPki.Issued;
import dev.lanyard.testkit.WorkloadApiDouble;
import io.spiffe.workloadapi.grpc.Workload;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad Workload API updates (issue 9 point 9), which real SPIRE never sends, so a Workload API
 * double stands in for the SPIRE Agent: a real javaagent JVM (the JDK's HttpsServer) gets a good
 * X.509-SVID, then, while a plain-JSSE client with its own SVID from the same CA makes requests
 * on fresh connections (every one a full handshake), eight kinds of bad update one after the
 * other: an empty SVID list, a certificate that is not DER, a key that is not one, a key of another
 * certificate, a leaf with two URI SANs, a CA as leaf, an expired SVID, a bundle without the
 * SVID's issuer. After each, {@code /identity} still shows the good serial and the reason as
 * {@code last_error}, the javaagent logged one WARN line naming the reason, {@code
 * lanyard_svid_updates_rejected_total{reason}} counts it, the Workload API stream was not
 * re-opened and requests went on. Over the whole run no request fails and {@code /ready} never
 * leaves 200. A last good update (a new serial) is taken and served in the next full handshake.
 */
class BadSvidUpdatesIT {
  private static final String TRUST_DOMAIN = "bad-updates.test";
  private static final String SERVER_ID = "spiffe://" + TRUST_DOMAIN + "/ns/bad/sa/server";
  private static final String CLIENT_ID = "spiffe://" + TRUST_DOMAIN + "/ns/bad/sa/client";
  /** Each rejection shows in /metrics well within this (it is one message on an open stream). */
  private static final Duration REJECTION_BOUND = Duration.ofSeconds(5);
  /** Requests that must succeed after each bad update before the next one is sent. */
  private static final int REQUESTS_BETWEEN_UPDATES = 5;
  private static final int CLIENT_THREADS = 2;
  private static final TestPki CA = TestPki.create("lanyard bad-updates CA");

  @Test
  void badUpdatesAreRejectedLoggedAndCountedWhileTrafficFlowsOnTheLastGoodSvid(@TempDir Path dir)
      throws Exception {
    Issued good = CA.svid(SERVER_ID);
    Issued client = CA.svid(CLIENT_ID);
    String admin = "127.0.0.1:" + FreePorts.next();
    long start = System.nanoTime();

    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("agent.sock"))) {
      api.send(response(good));
      try (JvmProcess server = JvmProcess.builder("JdkHttpsServerApp")
              .classpath(Mesh.compatClasspath())
              .mainClass("dev.lanyard.compat.JdkHttpsServerApp")
              .args("--port", "0", "--tls", "default")
              .env("SPIFFE_ENDPOINT_SOCKET", api.address())
              .env("LANYARD_ADMIN_ADDRESS", admin)
              .env("LANYARD_STARTUP", "wait=20s,then=fail")
              .javaagent(Mesh.AGENT_JAR)
              .start();
          Traffic traffic = new Traffic(client)) {
        int port = Integer.parseInt(server.awaitOutput("LISTENING port=(\\d+)",
            Duration.ofSeconds(60)).group(1));
        String goodSerial = serialHex(good.certificate());
        await(() -> Admin.get(admin, "/ready").statusCode() == 200, Duration.ofSeconds(20),
            "the first SVID");
        assertThat(identityField(admin, "serial")).isEqualTo(goodSerial);
        ReadyWatch ready = new ReadyWatch(admin);
        traffic.start(port);
        traffic.awaitOk(REQUESTS_BETWEEN_UPDATES, Duration.ofSeconds(30));
        assertThat(traffic.serversSeen()).containsOnly(goodSerial);

        List<String> figures = new ArrayList<>();
        for (BadSvidUpdate bad : BadSvidUpdate.values()) {
          String reason = bad.reason();
          int okBefore = traffic.ok();
          long sent = System.nanoTime();
          api.send(bad.response(CA, good, SERVER_ID));

          await(() -> rejected(admin, reason) >= 1, REJECTION_BOUND, "a rejection for " + reason);
          long rejectedMs = (System.nanoTime() - sent) / 1_000_000;
          assertThat(identityField(admin, "serial")).as(reason).isEqualTo(goodSerial);
          assertThat(identityField(admin, "last_error")).as(reason)
              .startsWith("rejected an X.509-SVID update (" + reason + "): ");
          String warning = server.awaitOutput("lanyard: WARN rejected an X\\.509-SVID update \\("
              + Pattern.quote(reason) + "\\): [^\\n]*; keeping " + Pattern.quote(SERVER_ID)
              + " serial " + goodSerial + "[^\\n]*", Duration.ofSeconds(5)).group();
          traffic.awaitOk(okBefore + REQUESTS_BETWEEN_UPDATES, Duration.ofSeconds(20));
          figures.add(String.format("  %-24s rejected in %4d ms; log: %s", reason, rejectedMs,
              warning.length() > 180 ? warning.substring(0, 180) + "..." : warning));
        }
        Map<String, Long> counts = rejectedCounts(admin);
        assertThat(counts).as("every bad update counted once, nothing else rejected")
            .isEqualTo(expectedCounts());
        assertThat(api.streamsOpened()).as("the Workload API stream was never re-opened")
            .isEqualTo(1);
        assertThat(api.refusedWithoutHeader()).isZero();
        assertThat(traffic.serversSeen()).containsOnly(goodSerial);

        // A good update again: taken, and served in the next full handshake.
        Issued next = CA.svid(SERVER_ID);
        String nextSerial = serialHex(next.certificate());
        long sent = System.nanoTime();
        api.send(response(next));
        await(() -> nextSerial.equals(identityField(admin, "serial")), Duration.ofSeconds(5),
            "the next good SVID in /identity");
        long adoptedMs = (System.nanoTime() - sent) / 1_000_000;
        assertThat(identityField(admin, "last_error")).isEqualTo("null");
        long firstUseMs = traffic.awaitServerSerial(nextSerial, Duration.ofSeconds(10), sent);
        assertThat(firstUseMs - adoptedMs).as("ms from /identity showing it to its first full"
            + " handshake (requests run back to back)").isLessThan(3000);
        int okAtNext = traffic.ok();
        traffic.awaitOk(okAtNext + REQUESTS_BETWEEN_UPDATES, Duration.ofSeconds(20));
        traffic.stop();
        ready.stop();

        System.out.println("BadSvidUpdatesIT: " + BadSvidUpdate.values().length + " bad updates to a javaagent JVM (JdkHttpsServerApp)"
            + " under traffic from " + CLIENT_THREADS + " plain-JSSE clients (fresh connection"
            + " per request)");
        figures.forEach(System.out::println);
        System.out.printf("  next good SVID %s in /identity %d ms after it was sent, first served"
            + " in a full handshake %d ms after it was sent%n", nextSerial, adoptedMs, firstUseMs);
        System.out.printf("  requests: %d ok, %d failed; /ready polled %d times, %d not 200;"
            + " Workload API streams opened: %d; %d s%n", traffic.ok(), traffic.failed(),
            ready.polls(), ready.notReady(), api.streamsOpened(),
            (System.nanoTime() - start) / 1_000_000_000);

        for (String reason : expectedCounts().keySet()) {
          assertThat(Pattern.compile("rejected an X\\.509-SVID update \\(" + reason + "\\)")
              .matcher(server.output()).results().count()).as("log lines for " + reason)
              .isEqualTo(1);
        }
        assertThat(server.output()).doesNotContain("\n\tat ", "SEVERE");
        assertThat(traffic.failures()).as("failed requests").isEmpty();
        assertThat(ready.notReady()).as("/ready answers other than 200: " + ready.notReadyBodies())
            .isZero();
        assertThat(ready.polls()).isPositive();
      }
    }
  }

  private static Map<String, Long> expectedCounts() {
    Map<String, Long> expected = new java.util.TreeMap<>();
    for (BadSvidUpdate update : BadSvidUpdate.values()) {
      expected.put(update.reason(), 1L);
    }
    return expected;
  }

  private static Workload.X509SVIDResponse response(Issued svid) {
    return BadSvidUpdate.good(CA, svid, SERVER_ID);
  }

  private static String serialHex(X509Certificate certificate) {
    return certificate.getSerialNumber().toString(16);
  }

  private static long rejected(String admin, String reason) {
    return rejectedCounts(admin).getOrDefault(reason, 0L);
  }

  private static Map<String, Long> rejectedCounts(String admin) {
    String metrics = Admin.get(admin, "/metrics").body();
    Matcher m = Pattern.compile(
        "(?m)^lanyard_svid_updates_rejected_total\\{reason=\"([a-z_]+)\"} ([0-9.]+)$").matcher(metrics);
    Map<String, Long> counts = new java.util.TreeMap<>();
    while (m.find()) {
      long count = (long) Double.parseDouble(m.group(2));
      if (count > 0) { // every reason is exported, at 0 until its first rejection
        counts.put(m.group(1), count);
      }
    }
    return counts;
  }

  private static String identityField(String admin, String name) {
    String body = Admin.get(admin, "/identity").body();
    Matcher m = Pattern.compile("\"" + name
        + "\"\\s*:\\s*(null|true|false|\"((?:[^\"\\\\]|\\\\.)*)\"|-?\\d+)").matcher(body);
    if (!m.find()) {
      if (name.equals("last_error")) {
        return "null"; // left out when there is none
      }
      throw new AssertionError("no " + name + " in /identity: " + body);
    }
    return m.group(2) != null ? m.group(2) : m.group(1);
  }

  private static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
      }
      Thread.sleep(25);
    }
  }

  /**
   * Plain-JSSE clients presenting the client SVID: each request on a new connection with a new
   * SSLContext, so each is a full handshake and shows the server SVID in use at that moment.
   */
  private static final class Traffic implements AutoCloseable {
    private final Issued svid;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicInteger ok = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    /** Server leaf serial per successful request, with the time it completed. */
    private final ConcurrentLinkedQueue<Seen> seenAt = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> serials = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    private record Seen(long nanos, String serial) {}

    Traffic(Issued svid) {
      this.svid = svid;
    }

    void start(int port) {
      running.set(true);
      for (int i = 0; i < CLIENT_THREADS; i++) {
        Thread thread = new Thread(() -> {
          while (running.get()) {
            request(port);
          }
        }, "bad-updates-client-" + i);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
    }

    private void request(int port) {
      try (SSLSocket socket = (SSLSocket) svid.presentingContext().getSocketFactory()
          .createSocket("localhost", port)) {
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        X509Certificate serverLeaf =
            (X509Certificate) socket.getSession().getPeerCertificates()[0];
        if (!response.startsWith("HTTP/1.1 200") || !response.contains("peer=" + CLIENT_ID)) {
          failures.add("unexpected response: " + response.lines().findFirst().orElse(""));
          return;
        }
        String serial = serialHex(serverLeaf);
        seenAt.add(new Seen(System.nanoTime(), serial));
        serials.add(serial);
        ok.incrementAndGet();
      } catch (IOException | RuntimeException e) {
        if (running.get()) {
          failures.add(e.toString());
        }
      }
    }

    int ok() {
      return ok.get();
    }

    int failed() {
      return failures.size();
    }

    List<String> failures() {
      return List.copyOf(failures);
    }

    java.util.Set<String> serversSeen() {
      return new java.util.TreeSet<>(serials);
    }

    void awaitOk(int count, Duration timeout) throws InterruptedException {
      await(() -> ok.get() >= count || !failures.isEmpty(), timeout, count + " ok requests");
      assertThat(failures).as("failed requests").isEmpty();
    }

    /** Milliseconds from {@code sentNanos} to the first request served with {@code serial}. */
    long awaitServerSerial(String serial, Duration timeout, long sentNanos)
        throws InterruptedException {
      await(() -> seenAt.stream().anyMatch(s -> s.serial().equals(serial)), timeout,
          "a full handshake with server serial " + serial);
      return (seenAt.stream().filter(s -> s.serial().equals(serial)).mapToLong(Seen::nanos)
          .min().getAsLong() - sentNanos) / 1_000_000;
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread thread : threads) {
        thread.join(10_000);
      }
    }

    @Override
    public void close() {
      running.set(false);
    }
  }

  /** Polls /ready every 100 ms in the background. */
  private static final class ReadyWatch {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger polls = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> notReady = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    ReadyWatch(String admin) {
      thread = new Thread(() -> {
        while (running.get()) {
          try {
            var response = Admin.get(admin, "/ready");
            polls.incrementAndGet();
            if (response.statusCode() != 200) {
              notReady.add(response.statusCode() + " " + response.body().strip());
            }
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            notReady.add(e.toString());
          }
        }
      }, "bad-updates-ready-watch");
      thread.setDaemon(true);
      thread.start();
    }

    int polls() {
      return polls.get();
    }

    int notReady() {
      return notReady.size();
    }

    List<String> notReadyBodies() {
      return List.copyOf(notReady);
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(5_000);
    }
  }
}
