package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A resumption in flight while the server rotates: JSSE's TLS 1.3 server takes the session out of
 * its cache for the handshake and caches a new one with the same (previous) certificates when it
 * completes, after {@link SessionPolicy#onRotation()} emptied the cache. Found by CaRotationIT (a
 * new SVID first used in a full handshake up to 12 s after it arrived). A client connecting back
 * to back keeps resuming that chain; after {@link SessionPolicy#WATCH_AFTER_ROTATION} it must
 * see the server's current SVID on every connection.
 */
class SessionRotationRaceTest {
  private static final String CLIENT = "spiffe://lanyard.test/ns/shop/sa/web";
  private static final String SERVER = "spiffe://lanyard.test/ns/pay/sa/api";
  private static final int ROTATIONS = 10;

  private final TestCa ca = TestCa.root("lanyard.test");
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private String statelessBefore;

  @BeforeEach
  void statefulServerSessions() {
    statelessBefore = System.getProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY);
    SessionPolicy.disableStatelessServerTickets();
  }

  @AfterEach
  void restore() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
    if (statelessBefore == null) {
      System.clearProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY);
    } else {
      System.setProperty(SessionPolicy.STATELESS_TICKETS_PROPERTY, statelessBefore);
    }
  }

  private SSLContext workload(FakeSvidSource source) {
    LanyardTls tls = LanyardTls.builder(LanyardConfig.fromEnv(
            Map.of("LANYARD_ADMIN_ADDRESS", "off"), new Properties()))
        .svidSource(source)
        .webPkiTrustManager(LanyardTls.webPkiTrustManager(TrustManagerFactory.getDefaultAlgorithm()))
        .auditOutput(new PrintStream(new ByteArrayOutputStream()))
        .build();
    toClose.add(tls);
    return tls.newSslContext();
  }

  @Test
  void aResumptionRacingARotationDoesNotCarryThePreviousSvidPastTheWatch() throws Exception {
    FakeSvidSource serverSource = new FakeSvidSource(ca.svid(SERVER), ca.bundles());
    LoopbackTls.Server server = new LoopbackTls.Server(workload(serverSource), true);
    toClose.add(server);
    SSLContext client = workload(new FakeSvidSource(ca.svid(CLIENT), ca.bundles()));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger calls = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    // Per call: when it started (ns) and the server serial it saw.
    List<long[]> starts = new CopyOnWriteArrayList<>();
    List<String> seen = new CopyOnWriteArrayList<>();
    Thread loop = new Thread(() -> {
      while (running.get()) {
        long start = System.nanoTime();
        try {
          SSLSession session = LoopbackTls.call(client, "api.pay.svc", server.port(), false);
          starts.add(new long[] {start});
          seen.add(((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber()
              .toString(16));
          calls.incrementAndGet();
        } catch (Exception e) {
          failures.add(e.toString());
        }
      }
    }, "back-to-back-client");
    loop.start();

    Identity current = null;
    for (int i = 0; i < ROTATIONS; i++) {
      Thread.sleep(300);
      current = ca.svid(SERVER);
      serverSource.update(current, ca.bundles());
    }
    long lastRotation = System.nanoTime();
    Duration settled = SessionPolicy.WATCH_AFTER_ROTATION.plusMillis(500);
    // Enough connections started after the watch for the stale check to mean something: on a
    // loaded machine they come slowly, so wait for a count (bounded), not for a fixed time.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Thread.sleep(settled.toMillis());
    while (startedAfter(starts, lastRotation + settled.toNanos()) <= 5
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    running.set(false);
    loop.join(30_000);

    List<String> stale = new ArrayList<>();
    int afterWatch = 0;
    for (int i = 0; i < seen.size(); i++) {
      if (starts.get(i)[0] - lastRotation > settled.toNanos()) {
        afterWatch++;
        if (!seen.get(i).equals(current.serialHex())) {
          stale.add(seen.get(i));
        }
      }
    }
    System.out.printf("rotation race: %d connections, %d rotations 300 ms apart, %d connections"
        + " started %d ms after the last, %d of them saw a previous server SVID%n", calls.get(),
        ROTATIONS, afterWatch, settled.toMillis(), stale.size());
    assertThat(failures).isEmpty();
    assertThat(afterWatch).isGreaterThan(5);
    assertThat(stale).as("connections that resumed a session of a previous server SVID").isEmpty();
  }

  private static long startedAfter(List<long[]> starts, long nanos) {
    return starts.stream().filter(start -> start[0] - nanos > 0).count();
  }
}
