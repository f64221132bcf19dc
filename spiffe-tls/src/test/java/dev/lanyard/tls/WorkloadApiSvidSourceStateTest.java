package dev.lanyard.tls;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.BadSvidUpdate;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.WorkloadApiDouble;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WorkloadApiSvidSource#state()} is one moment of the source: the SVID, the rotation
 * count, the rejection counts and the last error always belong together, however updates race
 * with readers (java-spiffe's X509Source keeps one snapshot behind one volatile for the same
 * reason). Fed by the Workload API double through java-spiffe's real client.
 */
class WorkloadApiSvidSourceStateTest {
  private static final String ID = "spiffe://lanyard.test/ns/shop/sa/web";
  private final TestPki ca = TestPki.create("lanyard.test CA");

  /**
   * A reader polling as fast as it can while a rejection is recorded sees every state wholly
   * before it (no count, no error) or wholly after it (the count and this rejection as the last
   * error): never the count without the error, the race fixed in 8020169. The reader stops at the
   * first state with the count, so the outcome does not depend on timing; only how close to the
   * moment of recording the reads fall does.
   */
  @Test
  void aStateReadWhileARejectionIsBeingRecordedIsWhollyBeforeOrWhollyAfterIt(@TempDir Path dir)
      throws Exception {
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"));
        WorkloadApiSvidSource source = WorkloadApiSvidSource.start(api.address())) {
      TestPki.Issued good = ca.svid(ID);
      api.send(BadSvidUpdate.good(ca, good, ID));
      assertThat(source.awaitFirst(Duration.ofSeconds(10))).isTrue();
      List<SvidSourceState> before = new CopyOnWriteArrayList<>();
      CompletableFuture<SvidSourceState> firstAfter = new CompletableFuture<>();
      CountDownLatch reading = new CountDownLatch(1);
      Thread reader = new Thread(() -> {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
          SvidSourceState state = source.state();
          if (state.rejectedTotal() > 0) {
            firstAfter.complete(state);
            return;
          }
          if (before.size() < 1_000) {
            before.add(state);
          }
          reading.countDown();
        }
        firstAfter.completeExceptionally(new AssertionError("no rejection within 10 s"));
      }, "state-reader");
      reader.start();
      // The rejection goes out once the reader has read a state before it: on a busy machine the
      // reader's thread may otherwise first run after the rejection (seen: no state before it).
      assertThat(reading.await(10, TimeUnit.SECONDS)).as("the reader started").isTrue();
      api.send(BadSvidUpdate.MALFORMED_KEY.response(ca, good, ID));
      SvidSourceState after = firstAfter.get(15, TimeUnit.SECONDS);
      reader.join();

      assertThat(before).isNotEmpty().allSatisfy(state -> {
        assertThat(state.rejectedTotal()).as("wholly before: %s", state).isZero();
        assertThat(state.lastError()).as("wholly before: %s", state).isNull();
      });
      assertThat(after.rejectedTotal()).as("wholly after: %s", after).isEqualTo(1);
      assertThat(after.lastError()).as("wholly after: %s", after)
          .startsWith("rejected an X.509-SVID update (malformed_key): ");
      assertThat(after.identity().leaf()).isEqualTo(good.certificate());
    }
  }

  @Test
  void readersRacingRotationsAndRejectionsNeverSeeATornState(@TempDir Path dir) throws Exception {
    int rounds = 40;
    // Which good update (1, 2, ...) each leaf was: the k-th SVID is the (k-1)-th rotation.
    Map<X509Certificate, Long> round = new ConcurrentHashMap<>();
    List<String> torn = new CopyOnWriteArrayList<>();
    AtomicLong reads = new AtomicLong();
    AtomicBoolean done = new AtomicBoolean();
    PrintStream stderr = System.err;
    System.setErr(new PrintStream(new ByteArrayOutputStream(), true, UTF_8)); // 40 WARN lines
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"));
        WorkloadApiSvidSource source = WorkloadApiSvidSource.start(api.address())) {
      Runnable reader = () -> {
        while (!done.get()) {
          SvidSourceState state = source.state();
          reads.incrementAndGet();
          if (state.identity() == null) {
            continue;
          }
          long k = round.getOrDefault(state.identity().leaf(), -1L);
          // Each good update k follows the rejection of round k-1 and clears the error; each
          // rejection follows good update k and sets it.
          boolean consistent = k > 0
              && state.rotations() == k - 1
              && (state.lastError() == null
                  ? state.rejectedTotal() == k - 1
                  : state.rejectedTotal() == k);
          if (!consistent && torn.size() < 5) {
            torn.add("svid " + k + ", rotations " + state.rotations() + ", rejected "
                + state.rejectedTotal() + ", last error " + state.lastError());
          }
        }
      };
      List<Thread> readers = List.of(new Thread(reader), new Thread(reader));
      readers.forEach(Thread::start);
      for (long k = 1; k <= rounds; k++) {
        TestPki.Issued good = ca.svid(ID);
        round.put(good.certificate(), k);
        api.send(BadSvidUpdate.good(ca, good, ID));
        long rotations = k - 1;
        await(() -> source.state().rotations() == rotations
            && source.state().identity() != null
            && source.state().identity().leaf().equals(good.certificate()), "good update " + k);
        api.send(BadSvidUpdate.MALFORMED_KEY.response(ca, good, ID));
        long rejected = k;
        await(() -> source.state().rejectedTotal() == rejected, "rejection " + k);
      }
      done.set(true);
      for (Thread thread : readers) {
        thread.join();
      }

      assertThat(torn).as("torn states among %d reads", reads.get()).isEmpty();
      assertThat(reads.get()).isGreaterThan(rounds);
      SvidSourceState last = source.state();
      assertThat(last.rotations()).isEqualTo(rounds - 1);
      assertThat(last.rejectedUpdates()).containsExactly(Map.entry("malformed_key", (long) rounds));
      // the separate accessors read the same state
      assertThat(source.rotationCount()).isEqualTo(last.rotations());
      assertThat(source.rejectedUpdates()).isEqualTo(last.rejectedUpdates());
      assertThat(source.lastError()).isEqualTo(last.error());
    } finally {
      done.set(true);
      System.setErr(stderr);
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(2);
    }
  }
}
