package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.BadSvidUpdate;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.TestPki.Issued;
import dev.lanyard.testkit.WorkloadApiDouble;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * Bad Workload API updates (issue 9 point 9) seen by the real sidecar, the shorter twin of the
 * javaagent's {@code BadSvidUpdatesIT}: the sidecar's mesh port serves an app while a plain-JSSE
 * client with its own SVID calls it on fresh connections; testkit's {@link WorkloadApiDouble}
 * sends each {@link BadSvidUpdate} in turn. Each is rejected (the reason in {@code /metrics} and
 * {@code last_error}, one log line), the good serial stays in {@code /identity} and on the wire,
 * no request fails, {@code /ready} stays 200, and a last good update is served next.
 */
class SidecarBadSvidUpdatesIT {
  private static final String TRUST_DOMAIN = "bad-updates.test";
  private static final String SIDECAR_ID = "spiffe://" + TRUST_DOMAIN + "/ns/bad/sa/sidecar";
  private static final String CLIENT_ID = "spiffe://" + TRUST_DOMAIN + "/ns/bad/sa/client";
  private static final TestPki CA = TestPki.create("lanyard sidecar bad-updates CA");
  private static final int REQUESTS_BETWEEN_UPDATES = 3;
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void badUpdatesAreRejectedWhileTheMeshPortServesTheLastGoodSvid(@TempDir Path dir)
      throws Exception {
    Issued good = CA.svid(SIDECAR_ID);
    Issued client = CA.svid(CLIENT_ID);
    String goodSerial = serialHex(good.certificate());
    PeerIdApp app = PeerIdApp.start();
    int mesh = FreePorts.next();
    long start = System.nanoTime();
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("agent.sock"))) {
      api.send(BadSvidUpdate.good(CA, good, SIDECAR_ID));
      SidecarProcess config = SidecarProcess.builder("sidecar", api.address())
          .env("LANYARD_INBOUND", mesh + ":" + app.port());
      String admin = config.env("LANYARD_ADMIN_ADDRESS");
      try (JvmProcess sidecar = config.start(); Traffic traffic = new Traffic(client, mesh)) {
        assertThat(identityField(admin, "serial")).isEqualTo(goodSerial);
        traffic.awaitOk(REQUESTS_BETWEEN_UPDATES);
        int polls = 0;
        for (BadSvidUpdate bad : BadSvidUpdate.values()) {
          int okBefore = traffic.ok();
          api.send(bad.response(CA, good, SIDECAR_ID));

          await(() -> rejectedCounts(admin).getOrDefault(bad.reason(), 0L) >= 1,
              "a rejection for " + bad.reason());
          assertThat(identityField(admin, "serial")).as(bad.reason()).isEqualTo(goodSerial);
          assertThat(identityField(admin, "last_error")).as(bad.reason())
              .startsWith("rejected an X.509-SVID update (" + bad.reason() + "): ");
          assertThat(get(admin, "/ready").statusCode()).as(bad.reason()).isEqualTo(200);
          polls++;
          traffic.awaitOk(okBefore + REQUESTS_BETWEEN_UPDATES);
        }
        Map<String, Long> expected = new TreeMap<>();
        for (BadSvidUpdate bad : BadSvidUpdate.values()) {
          expected.put(bad.reason(), 1L);
          assertThat(Pattern.compile("lanyard: WARN rejected an X\\.509-SVID update \\("
              + bad.reason() + "\\): [^\\n]*; keeping " + Pattern.quote(SIDECAR_ID) + " serial "
              + goodSerial).matcher(sidecar.output()).results().count())
              .as("log lines for " + bad.reason()).isEqualTo(1);
        }
        assertThat(rejectedCounts(admin)).isEqualTo(expected);
        assertThat(api.streamsOpened()).isEqualTo(1);
        assertThat(traffic.serials()).containsOnly(goodSerial);

        Issued next = CA.svid(SIDECAR_ID);
        String nextSerial = serialHex(next.certificate());
        long sent = System.nanoTime();
        api.send(BadSvidUpdate.good(CA, next, SIDECAR_ID));
        await(() -> traffic.serials().contains(nextSerial), "a handshake with the next SVID");
        long firstUseMs = (System.nanoTime() - sent) / 1_000_000;
        assertThat(identityField(admin, "serial")).isEqualTo(nextSerial);
        traffic.close();

        System.out.printf("SidecarBadSvidUpdatesIT: %d bad updates rejected (%s), 1 stream;"
            + " next good SVID served %d ms after it was sent; requests: %d ok, %d failed;"
            + " /ready 200 after each of %d updates; %d s%n", BadSvidUpdate.values().length,
            String.join(", ", expected.keySet()), firstUseMs, traffic.ok(), traffic.failures().size(),
            polls, (System.nanoTime() - start) / 1_000_000_000);
        assertThat(traffic.failures()).as("failed requests").isEmpty();
      }
    } finally {
      app.close();
    }
  }

  private static String serialHex(X509Certificate certificate) {
    return certificate.getSerialNumber().toString(16);
  }

  private static HttpResponse<String> get(String admin, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + admin + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(admin + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Long> rejectedCounts(String admin) {
    Matcher m = Pattern.compile(
        "(?m)^lanyard_svid_updates_rejected_total\\{reason=\"([a-z_]+)\"} ([0-9.]+)$")
        .matcher(get(admin, "/metrics").body());
    Map<String, Long> counts = new TreeMap<>();
    while (m.find()) {
      long count = (long) Double.parseDouble(m.group(2));
      if (count > 0) { // every reason is exported, at 0 until its first rejection
        counts.put(m.group(1), count);
      }
    }
    return counts;
  }

  private static String identityField(String admin, String name) {
    String body = get(admin, "/identity").body();
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(body);
    return m.find() ? m.group(1) : "null";
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(25);
    }
  }

  /** One plain-JSSE client, a new connection and SSLContext (a full handshake) per request. */
  private static final class Traffic implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger ok = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> serials = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    Traffic(Issued svid, int port) {
      thread = new Thread(() -> {
        while (running.get()) {
          request(svid, port);
        }
      }, "sidecar-bad-updates-client");
      thread.setDaemon(true);
      thread.start();
    }

    private void request(Issued svid, int port) {
      try (SSLSocket socket = (SSLSocket) svid.presentingContext().getSocketFactory()
          .createSocket("localhost", port)) {
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String response = new String(socket.getInputStream().readAllBytes(),
            StandardCharsets.UTF_8);
        if (!response.startsWith("HTTP/1.1 200") || !response.endsWith("peer=" + CLIENT_ID)) {
          failures.add("unexpected response: " + response);
          return;
        }
        serials.add(serialHex((X509Certificate) socket.getSession().getPeerCertificates()[0]));
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

    List<String> failures() {
      return new ArrayList<>(failures);
    }

    java.util.Set<String> serials() {
      return new java.util.TreeSet<>(serials);
    }

    void awaitOk(int count) throws InterruptedException {
      await(() -> ok.get() >= count || !failures.isEmpty(), count + " ok requests");
      assertThat(failures()).as("failed requests").isEmpty();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
    }
  }
}
