package dev.lanyard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The same flow as `make demo`: a real SPIRE issues the workload's SVID. */
class LocalDemoIT {
  @Test
  void printsTheSpiffeIdIssuedByRealSpireAndItsExpiry() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    int exit = LocalDemo.run(new PrintStream(buffer, true, StandardCharsets.UTF_8));

    String output = buffer.toString(StandardCharsets.UTF_8);
    assertThat(exit).isZero();
    assertThat(output).contains("SPIFFE ID:           " + LocalDemo.WORKLOAD_ID);
    assertThat(output).containsPattern("expires: +\\d{4}-\\d\\d-\\d\\dT.*\\(in \\d+ s\\)");
    assertThat(output).contains("issued by:");
  }
}
