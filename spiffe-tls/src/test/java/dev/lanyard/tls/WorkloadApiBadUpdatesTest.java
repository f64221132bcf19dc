package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.WorkloadApiDouble;
import io.spiffe.workloadapi.grpc.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Updates real SPIRE never sends, through java-spiffe's real client from a Workload API double:
 * each is rejected with its own reason, logged and counted, the last good SVID is kept and the
 * stream with it (no reconnect), and the next good update is taken at once.
 */
class WorkloadApiBadUpdatesTest {
  private static final String ID = "spiffe://lanyard.test/ns/shop/sa/web";
  private final TestCa ca = TestCa.root("lanyard.test");

  @Test
  void eachBadUpdateIsRejectedWithItsReasonAndTheLastGoodSvidAndStreamAreKept(@TempDir Path dir)
      throws Exception {
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"));
        WorkloadApiSvidSource source = WorkloadApiSvidSource.start(api.address())) {
      TestCa.Issued good = ca.leaf(ID).issue();
      api.send(response(good));
      assertThat(source.awaitFirst(Duration.ofSeconds(10))).isTrue();
      String goodSerial = source.current().orElseThrow().serialHex();

      Map<String, Workload.X509SVIDResponse> badUpdates = badUpdates();
      for (Map.Entry<String, Workload.X509SVIDResponse> bad : badUpdates.entrySet()) {
        String reason = bad.getKey();
        api.send(bad.getValue());

        await(() -> source.rejectedUpdates().getOrDefault(reason, 0L) == 1, reason);
        assertThat(source.current().orElseThrow().serialHex()).as(reason).isEqualTo(goodSerial);
        assertThat(source.lastError()).as(reason).hasValueSatisfying(e -> assertThat(e)
            .startsWith("rejected an X.509-SVID update (" + reason + "): "));
      }
      assertThat(source.rejectedUpdates()).containsOnlyKeys(badUpdates.keySet())
          .allSatisfy((reason, count) -> assertThat(count).as(reason).isEqualTo(1L));
      // java-spiffe's decoding failures arrive as onError but are no stream errors: before they
      // were treated as such, each cost a reconnect (and a backoff before the next good update).
      assertThat(api.streamsOpened()).isEqualTo(1);
      assertThat(api.refusedWithoutHeader()).isZero();

      TestCa.Issued next = ca.leaf(ID).issue();
      long sentAt = System.nanoTime();
      api.send(response(next));
      await(() -> source.current().orElseThrow().leaf().equals(next.leaf()), "the next good SVID");
      assertThat(Duration.ofNanos(System.nanoTime() - sentAt)).isLessThan(Duration.ofSeconds(1));
      assertThat(source.rotationCount()).isEqualTo(1);
      assertThat(source.lastError()).isEmpty();
      assertThat(api.streamsOpened()).isEqualTo(1);
    }
  }

  @Test
  void theFirstSvidIsTakenAfterBadUpdatesToo(@TempDir Path dir) throws Exception {
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"));
        WorkloadApiSvidSource source = WorkloadApiSvidSource.start(api.address())) {
      api.send(WorkloadApiDouble.emptyResponse());
      await(() -> source.rejectedUpdates().containsKey("no_svid"), "no_svid");
      assertThat(source.current()).isEmpty();

      TestCa.Issued good = ca.leaf(ID).issue();
      api.send(response(good));

      assertThat(source.awaitFirst(Duration.ofSeconds(2))).isTrue();
      assertThat(source.current().orElseThrow().leaf()).isEqualTo(good.leaf());
    }
  }

  @Test
  void streamErrorsAreNotRejectedUpdates() {
    assertThat(JavaSpiffeRejections.of(new io.spiffe.exception.X509ContextException(
        "Cancelling X.509 Context watch", new io.grpc.StatusRuntimeException(
            io.grpc.Status.UNAVAILABLE)))).isEmpty();
    assertThat(JavaSpiffeRejections.of(new IllegalStateException(
        JavaSpiffeRejections.UPDATE_ERROR))).isEmpty();
  }

  /** Each kind of bad update by the reason it must be rejected with, in sending order. */
  private Map<String, Workload.X509SVIDResponse> badUpdates() {
    Instant now = Instant.now();
    TestCa.Issued good = ca.leaf(ID).issue();
    byte[] chain = WorkloadApiDouble.der(good.chain());
    byte[] bundle = WorkloadApiDouble.der(List.of(ca.certificate()));
    Map<String, Workload.X509SVIDResponse> bad = new LinkedHashMap<>();
    bad.put("no_svid", WorkloadApiDouble.emptyResponse());
    bad.put("malformed_certificate", WorkloadApiDouble.response(ID,
        Arrays.copyOf(chain, chain.length / 2), good.key().getEncoded(), bundle));
    bad.put("malformed_key", WorkloadApiDouble.response(ID, chain,
        Arrays.copyOf(good.key().getEncoded(), 20), bundle));
    bad.put("key_does_not_match", WorkloadApiDouble.response(ID, good.chain(),
        ca.leaf(ID).issue().key(), List.of(ca.certificate())));
    bad.put("not_one_uri_san", response(ca.leaf(ID).uri(ID + "/second").issue()));
    bad.put("leaf_is_ca", response(ca.leaf(ID).ca(true)
        .keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign).issue()));
    bad.put("expired", response(ca.leaf(ID)
        .validity(now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1))).issue()));
    bad.put("chain_not_trusted", WorkloadApiDouble.response(ID, good.chain(), good.key(),
        List.of(TestCa.root("lanyard.test").certificate())));
    return bad;
  }

  private Workload.X509SVIDResponse response(TestCa.Issued issued) {
    return WorkloadApiDouble.response(ID, issued.chain(), issued.key(), List.of(ca.certificate()));
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(20);
    }
  }
}
