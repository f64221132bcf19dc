package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.JvmProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A value the javaagent refuses stops the JVM at start (exit 78, {@code then=fail}) with one line
 * naming the knob, the value, the rule and the fix. The webhook refuses the same value in the same
 * words ({@code PodInjectorWorkloadConfigTest} asserts this very text), since both parse it with
 * lanyard-config.
 */
class JavaagentInvalidConfigIT {
  /** The words the webhook uses too (PodInjectorWorkloadConfigTest.WORKLOAD_MESSAGE). */
  static final String MESSAGE =
      "allowed peer \"spiffe://td/a*b\" in LANYARD_ALLOWED_PEERS is not a SPIFFE ID pattern:"
          + " a wildcard may only be the whole last segment (/* for one segment, /** for any"
          + " depth); write an exact ID, /* for one segment or /** for any depth, e.g."
          + " spiffe://example.org/ns/prod/sa/api, spiffe://example.org/ns/prod/*,"
          + " spiffe://example.org/**";

  @Test
  void aPatternWithAWildcardInsideASegmentStopsTheJvmWithTheRule() {
    try (JvmProcess jvm =
        JvmProcess.builder("invalid-config")
            .mainClass(SourceFileModeIT.SOURCES.resolve("MeshClient.java").toString())
            .javaagent(Mesh.AGENT_JAR)
            .env("LANYARD_ALLOWED_PEERS", "spiffe://td/ns/apps/*,spiffe://td/a*b")
            .start()) {
      int exit = jvm.awaitExit(Duration.ofSeconds(60));

      assertThat(exit).as(jvm.output()).isEqualTo(78);
      assertThat(jvm.output())
          .contains(
              "lanyard: ERROR invalid configuration, stopping the application (then=fail, exit 78):"
                  + " LANYARD_ALLOWED_PEERS (or -Dlanyard.allowed.peers): "
                  + MESSAGE);
    }
  }
}
