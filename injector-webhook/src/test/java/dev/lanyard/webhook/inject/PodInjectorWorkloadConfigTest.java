package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

/**
 * An annotation value is judged by the rule the workload applies at start (lanyard-config): what
 * the workload accepts passes without a warning, what it would refuse is refused here, with the
 * workload's own words.
 */
class PodInjectorWorkloadConfigTest {
  /** What the javaagent and the sidecar print for this value (JavaagentInvalidConfigIT). */
  static final String WORKLOAD_MESSAGE =
      "allowed peer \"spiffe://td/a*b\" in LANYARD_ALLOWED_PEERS is not a SPIFFE ID pattern:"
          + " a wildcard may only be the whole last segment (/* for one segment, /** for any"
          + " depth); write an exact ID, /* for one segment or /** for any depth, e.g."
          + " spiffe://example.org/ns/prod/sa/api, spiffe://example.org/ns/prod/*,"
          + " spiffe://example.org/**";

  private static final PodInjector AUDIT_ALLOWED =
      new PodInjector(
          InjectorConfigLoader.fromYaml(
              "test config",
              """
              version: 0.0.0-test
              javaagent: {image: registry.example/lanyard/javaagent:test}
              sidecar: {image: registry.example/lanyard/sidecar:test}
              ceiling: {allowAudit: true}
              """));

  private static Pod annotated(String value) {
    return new PodBuilder(TestPods.jvmPod())
        .editMetadata()
        .addToAnnotations(LanyardNames.ALLOWED_PEERS, value)
        .endMetadata()
        .build();
  }

  private static InjectionResult inject(Pod pod) {
    return AUDIT_ALLOWED.inject(pod, RequestContext.of(TestPods.NAMESPACE));
  }

  @Test
  void theAuditKeywordTheWorkloadAcceptsGetsNoWarning() {
    InjectionResult result = inject(annotated("audit,spiffe://td/ns/apps/*"));

    assertThat(result.report().injected()).isTrue();
    assertThat(result.report().admissionWarnings()).isEmpty();
  }

  @Test
  void aPatternTheWorkloadRefusesIsRefusedWithTheWorkloadsMessage() {
    Pod original = annotated("spiffe://td/ns/apps/*,spiffe://td/a*b");

    InjectionResult result = inject(original);

    assertThat(result.report().refused()).isTrue();
    assertThat(result.report().summary())
        .isEqualTo(
            "pod orders refused: annotation lanyard.dev/allowed-peers: "
                + WORKLOAD_MESSAGE
                + "; the workload would refuse to start with it");
    assertThat(result.pod()).isSameAs(original);
  }
}
