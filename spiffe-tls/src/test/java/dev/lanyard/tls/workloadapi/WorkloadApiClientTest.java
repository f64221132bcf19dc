package dev.lanyard.tls.workloadapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.lanyard.testkit.WorkloadApiDouble;
import dev.lanyard.tls.workloadapi.proto.Workload;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lanyard's Workload API client against the grpc-java double (a real gRPC server). */
class WorkloadApiClientTest {
  private static final ThreadFactory THREADS = runnable -> {
    Thread thread = new Thread(runnable, "test-workload-api-io");
    thread.setDaemon(true);
    return thread;
  };

  @Test
  void callsOneAfterAnotherOnOneConnectionEachGetTheirStatus(@TempDir Path dir) throws Exception {
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"));
        WorkloadApiClient client = WorkloadApiClient.create(URI.create(api.address()), THREADS)) {
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> client.fetchJwtSvid("db", Duration.ofSeconds(5)))
            .isInstanceOf(WorkloadApiException.class)
            .hasMessageStartingWith("UNIMPLEMENTED: ");
        assertThatThrownBy(() -> client.fetchJwtSvid("db", Duration.ofSeconds(5)))
            .isInstanceOf(WorkloadApiException.class)
            .hasMessageStartingWith("UNIMPLEMENTED: ");
        assertThatThrownBy(() -> client.fetchJwtBundles(Duration.ofSeconds(5)))
            .isInstanceOf(WorkloadApiException.class)
            .hasMessageStartingWith("UNIMPLEMENTED: ");
      }
      assertThat(api.refusedWithoutHeader()).isZero();
    }
  }

  @Test
  void withoutASocketACallFailsUnavailableNamingThePath(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("none.sock");
    try (WorkloadApiClient client = WorkloadApiClient.create(URI.create("unix://" + socket), THREADS)) {
      assertThatThrownBy(() -> client.fetchJwtSvid("db", Duration.ofSeconds(5)))
          .isInstanceOf(WorkloadApiException.class)
          .hasMessageStartingWith("UNAVAILABLE: cannot connect to the Workload API at " + socket);
    }
  }

  @Test
  void aLongStreamGetsFarMoreThanOneFlowControlWindowOnOneConnection(@TempDir Path dir)
      throws Exception {
    // 200 updates of 10 KiB: 2 MB, thirty times HTTP/2's initial 64 KiB stream and connection
    // windows. Without WINDOW_UPDATEs the server stops after 64 KiB and the count stalls.
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"));
        WorkloadApiClient client = WorkloadApiClient.create(URI.create(api.address()), THREADS)) {
      Recorder stream = new Recorder();
      GrpcCall call = client.watchX509(stream);
      await(() -> api.openStreams() == 1, "the stream open"); // the double sends only to open ones
      for (int i = 0; i < 200; i++) {
        api.send(padded(i, 10 * 1024));
      }
      await(() -> stream.updates.size() == 200, "200 updates");
      assertThat(stream.updates.get(199).getCrl(0).byteAt(0)).isEqualTo((byte) 199);
      assertThat(stream.closed).isNotDone();
      assertThat(api.streamsOpened()).isEqualTo(1);
      call.cancel();
    }
  }

  @Test
  void serverPingsAreAnsweredSoTheStreamLives(@TempDir Path dir) throws Exception {
    // grpc-java's server PINGs every 50 ms and closes the connection when an answer takes 200 ms.
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"),
            server -> server.keepAliveTime(50, TimeUnit.MILLISECONDS)
                .keepAliveTimeout(200, TimeUnit.MILLISECONDS));
        WorkloadApiClient client = WorkloadApiClient.create(URI.create(api.address()), THREADS)) {
      Recorder stream = new Recorder();
      client.watchX509(stream);
      api.send(padded(1, 10));
      await(() -> stream.updates.size() == 1, "the first update");
      Thread.sleep(2_000);
      api.send(padded(2, 10));
      await(() -> stream.updates.size() == 2, "an update after 40 PINGs");
      assertThat(stream.closed).isNotDone();
      assertThat(api.streamsOpened()).isEqualTo(1);
    }
  }

  @Test
  void afterGoAwayTheStreamEndsUnavailableAndTheNextCallOpensANewConnection(@TempDir Path dir)
      throws Exception {
    // grpc-java's server sends GOAWAY when a connection is 500 ms old and closes it 200 ms later.
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"),
            server -> server.maxConnectionAge(500, TimeUnit.MILLISECONDS)
                .maxConnectionAgeGrace(200, TimeUnit.MILLISECONDS));
        WorkloadApiClient client = WorkloadApiClient.create(URI.create(api.address()), THREADS)) {
      Recorder first = new Recorder();
      client.watchX509(first);
      GrpcStatus ended = first.closed.get(10, TimeUnit.SECONDS);
      assertThat(ended.codeName()).isIn("UNAVAILABLE", "CANCELLED");

      Recorder second = new Recorder();
      client.watchX509(second);
      api.send(padded(3, 10));
      await(() -> second.updates.size() == 1, "an update on a new connection");
      assertThat(api.streamsOpened()).isEqualTo(2);
    }
  }

  @Test
  void aMessageOverTheLimitEndsTheStreamResourceExhausted(@TempDir Path dir) throws Exception {
    try (WorkloadApiDouble api = WorkloadApiDouble.start(dir.resolve("api.sock"));
        WorkloadApiClient client =
            WorkloadApiClient.create(URI.create(api.address()), THREADS, 4096)) {
      Recorder stream = new Recorder();
      client.watchX509(stream);
      api.send(padded(1, 100));
      await(() -> stream.updates.size() == 1, "a small update");
      api.send(padded(2, 8192));

      GrpcStatus ended = stream.closed.get(10, TimeUnit.SECONDS);
      assertThat(ended.toString()).startsWith("RESOURCE_EXHAUSTED: the Workload API sent a message"
          + " of ").endsWith(" bytes; the limit is 4096 bytes");
      assertThat(stream.updates).hasSize(1);
    }
  }

  /** An X509SVIDResponse without SVIDs whose one CRL is {@code size} bytes of {@code mark}. */
  private static io.spiffe.workloadapi.grpc.Workload.X509SVIDResponse padded(int mark, int size) {
    byte[] crl = new byte[size];
    java.util.Arrays.fill(crl, (byte) mark);
    return io.spiffe.workloadapi.grpc.Workload.X509SVIDResponse.newBuilder()
        .addCrl(com.google.protobuf.ByteString.copyFrom(crl)).build();
  }

  private static final class Recorder implements WorkloadApiClient.X509Listener {
    final List<Workload.X509SVIDResponse> updates = new CopyOnWriteArrayList<>();
    final AtomicInteger undecodable = new AtomicInteger();
    final CompletableFuture<GrpcStatus> closed = new CompletableFuture<>();

    @Override
    public void onUpdate(Workload.X509SVIDResponse update) {
      updates.add(update);
    }

    @Override
    public void onUndecodable(InvalidProtocolBufferException error) {
      undecodable.incrementAndGet();
    }

    @Override
    public void onClose(GrpcStatus status) {
      closed.complete(status);
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(10);
    }
  }
}
