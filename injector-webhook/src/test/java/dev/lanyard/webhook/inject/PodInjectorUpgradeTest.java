package dev.lanyard.webhook.inject;

import static dev.lanyard.webhook.inject.TestPods.app;
import static dev.lanyard.webhook.inject.TestPods.container;
import static dev.lanyard.webhook.inject.TestPods.env;
import static dev.lanyard.webhook.inject.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.reasons.Reason;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code lanyard.dev/upgrade-inbound} and {@code -outbound} and the chart's defaults become {@code
 * LANYARD_UPGRADE_INBOUND} and {@code _OUTBOUND} in each javaagent container (issue 19).
 */
class PodInjectorUpgradeTest {
  private static final String INBOUND = "LANYARD_UPGRADE_INBOUND";
  private static final String OUTBOUND = "LANYARD_UPGRADE_OUTBOUND";

  private static InjectorConfig withDefaults(String defaults) {
    return InjectorConfigLoader.fromYaml(
        "test config",
        """
        version: 0.0.0-test
        javaagent: {image: registry.example/lanyard/javaagent:test}
        sidecar: {image: registry.example/lanyard/sidecar:test}
        defaults: %s
        """
            .formatted(defaults));
  }

  private static Container jvm(String name, int... ports) {
    ContainerBuilder builder = new ContainerBuilder().withName(name).withImage("eclipse-temurin:21");
    for (int port : ports) {
      builder.addNewPort().withContainerPort(port).endPort();
    }
    return builder.build();
  }

  private static Pod annotated(Pod pod, Map<String, String> annotations) {
    return new PodBuilder(pod).editMetadata().addToAnnotations(annotations).endMetadata().build();
  }

  private static InjectionResult inject(InjectorConfig config, Pod pod) {
    return new PodInjector(config).inject(pod, RequestContext.of(TestPods.NAMESPACE));
  }

  @Test
  void aBareInboundModeIsScopedToEachJvmContainersDeclaredPorts() {
    Container udp =
        new ContainerBuilder(jvm("metrics-agent", 8125))
            .editFirstPort()
            .withProtocol("UDP")
            .endPort()
            .build();
    Pod pod =
        annotated(
            pod("orders", jvm("api", 8080, 9090), jvm("worker"), udp),
            Map.of(
                "lanyard.dev/upgrade-inbound", "strict",
                "lanyard.dev/upgrade-outbound", "8080=permissive"));

    InjectionResult result = inject(TestPods.config(), pod);

    assertThat(result.report().injected()).isTrue();
    assertThat(env(app(result.pod(), "api"), INBOUND)).contains("8080=strict,9090=strict");
    assertThat(env(app(result.pod(), "worker"), INBOUND)).contains("*=strict");
    assertThat(env(app(result.pod(), "metrics-agent"), INBOUND))
        .as("UDP is not upgraded; nothing TCP declared means any port")
        .contains("*=strict");
    assertThat(result.pod().getSpec().getContainers())
        .allSatisfy(c -> assertThat(env(c, OUTBOUND)).contains("8080=permissive"));
    assertThat(result.report().admissionWarnings()).isEmpty();
  }

  @Test
  void theMetricsPortItDeclaresAfterInjectionIsNeverInScope() {
    Pod pod = annotated(pod("orders", jvm("api")), Map.of("lanyard.dev/upgrade-inbound", "strict"));
    Pod injected = inject(TestPods.config(), pod).pod();
    assertThat(app(injected, "api").getPorts())
        .extracting(port -> port.getContainerPort())
        .containsExactly(15020);

    assertThat(env(app(injected, "api"), INBOUND)).contains("*=strict");
    injected.getMetadata().getAnnotations().remove("lanyard.dev/status");
    Pod again = inject(TestPods.config(), injected).pod();
    assertThat(env(app(again, "api"), INBOUND)).contains("*=strict");
  }

  @Test
  void theChartDefaultAppliesWithoutAnAnnotationAndTheAnnotationWins() {
    InjectorConfig config =
        withDefaults("{upgradeInbound: permissive, upgradeOutbound: \"8080=strict\"}");

    Pod fromDefault = inject(config, pod("orders", jvm("api", 8080))).pod();
    Pod fromAnnotation =
        inject(
                config,
                annotated(
                    pod("orders", jvm("api", 8080, 9090)),
                    Map.of("lanyard.dev/upgrade-inbound", "8080=strict,9090=off")))
            .pod();

    assertThat(env(app(fromDefault, "api"), INBOUND)).contains("8080=permissive");
    assertThat(env(app(fromDefault, "api"), OUTBOUND)).contains("8080=strict");
    assertThat(env(app(fromAnnotation, "api"), INBOUND)).contains("8080=strict,9090=off");
    assertThat(env(app(fromAnnotation, "api"), OUTBOUND)).contains("8080=strict");
  }

  @Test
  void withoutAnnotationOrDefaultNothingIsSet() {
    Pod pod = inject(TestPods.config(), pod("orders", jvm("api", 8080))).pod();

    assertThat(env(app(pod, "api"), INBOUND)).isEmpty();
    assertThat(env(app(pod, "api"), OUTBOUND)).isEmpty();
  }

  @Test
  void aValueThePodSetsItselfIsKeptWithAWarning() {
    Container own =
        new ContainerBuilder(jvm("api", 8080)).addNewEnv().withName(INBOUND).withValue("off")
            .endEnv().build();
    InjectionResult result =
        inject(
            TestPods.config(),
            annotated(pod("orders", own), Map.of("lanyard.dev/upgrade-inbound", "strict")));

    assertThat(env(app(result.pod(), "api"), INBOUND)).contains("off");
    assertThat(result.report().admissionWarnings())
        .containsExactly(
            "lanyard: container api already sets LANYARD_UPGRADE_INBOUND to \"off\"; Lanyard kept"
                + " it instead of \"8080=strict\", so lanyard.dev/upgrade-inbound (or the chart's"
                + " default) does not apply to it");
  }

  @Test
  void anInvalidValueIsRefusedNamingTheAnnotationTheEntryAndTheRule() {
    Pod original =
        annotated(
            pod("orders", jvm("api", 8080)),
            Map.of("lanyard.dev/upgrade-inbound", "8080=strict,9090=stict"));

    InjectionResult result = inject(TestPods.config(), original);

    assertThat(result.report().refused()).isTrue();
    assertThat(result.report().reason()).isEqualTo(Reason.INVALID_WORKLOAD_VALUE);
    assertThat(result.report().summary())
        .isEqualTo(
            "pod orders refused: annotation lanyard.dev/upgrade-inbound: entry \"9090=stict\":"
                + " mode \"stict\" is not one of off, permissive, strict; write e.g."
                + " 8080=strict,*=permissive; the workload would refuse to start with it");
    assertThat(result.pod()).isSameAs(original);

    InjectionResult outbound =
        inject(
            TestPods.config(),
            annotated(pod("orders", jvm("api")), Map.of("lanyard.dev/upgrade-outbound", "*=on")));
    assertThat(outbound.report().summary())
        .isEqualTo(
            "pod orders refused: annotation lanyard.dev/upgrade-outbound: entry \"*=on\": mode"
                + " \"on\" is not one of off, permissive, strict; write e.g."
                + " 8080=strict,*=permissive; the workload would refuse to start with it");
  }

  @Test
  void anInvalidChartDefaultStopsTheWebhooksStart() {
    assertThatThrownBy(() -> withDefaults("{upgradeInbound: \"8080=strict,8080=off\"}"))
        .hasMessageContaining(
            "defaults.upgradeInbound: entry \"8080=off\": port 8080 is listed twice; keep one"
                + " mode per port (every injected workload would refuse it at start)");
  }

  @Test
  void aPodWithoutAJavaagentContainerIsWarnedThatNothingUpgrades() {
    InjectionResult result =
        inject(
            TestPods.config(),
            annotated(
                pod("summarizer", container("api", "python:3.12")),
                Map.of("lanyard.dev/upgrade-inbound", "strict")));

    assertThat(result.report().injected()).isTrue();
    assertThat(result.report().warnings())
        .extracting(InjectionWarning::reason)
        .containsExactly(Reason.UPGRADE_WITHOUT_JAVAAGENT);
    assertThat(result.report().admissionWarnings())
        .containsExactly(
            "lanyard: lanyard.dev/upgrade-inbound=\"strict\" is set but no container of pod"
                + " summarizer gets the javaagent, which is what upgrades plain ports to mTLS;"
                + " the sidecar serves mTLS on the lanyard.dev/inbound mesh ports and proxies"
                + " HTTP_PROXY calls instead");
    assertThat(result.pod().getSpec().getInitContainers())
        .allSatisfy(c -> assertThat(env(c, INBOUND)).isEmpty());
  }
}
