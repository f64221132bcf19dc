package dev.lanyard.demo;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.DefaultX509Source;
import io.spiffe.workloadapi.X509Source;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code make demo}: starts a real SPIRE server and SPIRE Agent, registers this process's uid as a
 * workload, fetches its X.509-SVID over the Workload API and prints the SPIFFE ID and expiry.
 * Everything it starts is stopped before it returns.
 */
public final class LocalDemo {
  static final String WORKLOAD_ID = "spiffe://lanyard.demo/ns/ai-agents/sa/orchestrator";

  private LocalDemo() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(System.out));
  }

  /** Runs the demo, printing to {@code out}; returns the process exit code. */
  static int run(PrintStream out) throws Exception {
    out.println("Starting a real SPIRE server and SPIRE Agent ...");
    try (SpireCluster spire = SpireCluster.start(SpireOptions.builder()
        .trustDomain("lanyard.demo").svidTtl(Duration.ofMinutes(10)).build())) {
      int uid = Command.currentUid();
      spire.register(WORKLOAD_ID, "unix:uid:" + uid);
      spire.awaitSvid(uid, WORKLOAD_ID, Duration.ofSeconds(30));
      try (X509Source source = DefaultX509Source.newSource(
          DefaultX509Source.X509SourceOptions.builder()
              .spiffeSocketPath(spire.workloadApiAddress())
              .initTimeout(Duration.ofSeconds(30))
              .build())) {
        X509Svid svid = source.getX509Svid();
        Instant expiry = svid.getLeaf().getNotAfter().toInstant();
        out.println("Workload API socket: " + spire.workloadApiAddress());
        out.println("SPIFFE ID:           " + svid.getSpiffeId());
        out.println("serial:              " + svid.getLeaf().getSerialNumber().toString(16));
        out.println("expires:             " + expiry + " (in "
            + Duration.between(Instant.now(), expiry).toSeconds() + " s)");
        out.println("issued by:           " + svid.getLeaf().getIssuerX500Principal());
      }
    }
    return 0;
  }
}
