package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source's behaviour without any SPIRE: bounded waits and honest errors. */
class WorkloadApiSvidSourceTest {

  @Test
  void rejectsAnAddressThatIsNotAWorkloadApiAddress() {
    assertThatThrownBy(() -> WorkloadApiSvidSource.start("/run/spire/agent.sock"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("SPIFFE_ENDPOINT_SOCKET (or -Dspiffe.endpoint.socket):"
            + " \"/run/spire/agent.sock\" is not a Workload API address (")
        .hasMessageEndingWith("write e.g. unix:///spiffe-workload-api/spire-agent.sock");
  }

  @Test
  void withoutASocketStartReturnsAtOnceAndTheWaitIsBounded(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("agent.sock");
    long start = System.nanoTime();
    try (WorkloadApiSvidSource source = WorkloadApiSvidSource.start("unix://" + missing)) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));

      long waitStart = System.nanoTime();
      assertThat(source.awaitFirst(Duration.ofMillis(1500))).isFalse();
      Duration waited = Duration.ofNanos(System.nanoTime() - waitStart);

      assertThat(waited).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(3));
      assertThat(source.current()).isEmpty();
      assertThat(source.lastError()).hasValueSatisfying(e -> assertThat(e).startsWith("UNAVAILABLE"));
      assertThat(Files.exists(missing)).isFalse();
    }
  }

  @Test
  void itsThreadsAreDaemons(@TempDir Path dir) throws Exception {
    try (WorkloadApiSvidSource source = WorkloadApiSvidSource.start("unix://" + dir.resolve("x.sock"))) {
      source.awaitFirst(Duration.ofMillis(500));

      assertThat(Thread.getAllStackTraces().keySet())
          .filteredOn(t -> t.getName().startsWith("lanyard-workload-api"))
          .isNotEmpty()
          .allMatch(Thread::isDaemon);
    }
  }

  @Test
  void describesGrpcErrorsByTheirStatusLine() {
    Exception status = new RuntimeException("wrapper",
        new io.grpc.StatusRuntimeException(io.grpc.Status.PERMISSION_DENIED
            .withDescription("no identity issued")));

    assertThat(WorkloadApiSvidSource.describe(status))
        .isEqualTo("PERMISSION_DENIED: no identity issued");
    assertThat(WorkloadApiSvidSource.describe(new IllegalStateException("boom", new
        java.io.IOException("socket closed")))).isEqualTo("IOException: socket closed");
  }
}
