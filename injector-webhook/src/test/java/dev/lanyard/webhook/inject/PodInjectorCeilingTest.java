package dev.lanyard.webhook.inject;

import static dev.lanyard.webhook.inject.TestPods.app;
import static dev.lanyard.webhook.inject.TestPods.container;
import static dev.lanyard.webhook.inject.TestPods.env;
import static dev.lanyard.webhook.inject.TestPods.init;
import static dev.lanyard.webhook.inject.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator's ceiling at injection: every place a pod can widen its peers is judged. */
class PodInjectorCeilingTest {
  private static final String CEILING = "spiffe://td/ns/apps/**,spiffe://td/ns/platform/sa/gateway";

  private static PodInjector injector(String ceilingYaml) {
    return new PodInjector(
        InjectorConfigLoader.fromYaml(
            "test config",
            """
            version: 0.0.0-test
            javaagent: {image: registry.example/lanyard/javaagent:test}
            sidecar: {image: registry.example/lanyard/sidecar:test}
            """,
            ceilingYaml));
  }

  private static final PodInjector CEILED =
      injector("ceiling: {allowedPeers: \"" + CEILING + "\", auditNamespaces: [lab]}");

  private static Pod annotated(Pod pod, String value) {
    return new PodBuilder(pod)
        .editMetadata()
        .addToAnnotations(LanyardNames.ALLOWED_PEERS, value)
        .endMetadata()
        .build();
  }

  private static InjectionResult inject(PodInjector injector, Pod pod) {
    return injector.inject(pod, RequestContext.of(TestPods.NAMESPACE));
  }

  @Test
  void aNarrowerAnnotationIsInjectedAsWritten() {
    Pod narrowed =
        annotated(
            pod("mixed", container("jvm", "eclipse-temurin:21"), container("py", "python:3")),
            "spiffe://td/ns/apps/sa/web, spiffe://td/ns/platform/sa/gateway");

    InjectionResult result = inject(CEILED, narrowed);

    assertThat(result.report().injected()).isTrue();
    assertThat(env(app(result.pod(), "jvm"), "LANYARD_ALLOWED_PEERS"))
        .contains("spiffe://td/ns/apps/sa/web, spiffe://td/ns/platform/sa/gateway");
    assertThat(env(init(result.pod(), "lanyard-sidecar").orElseThrow(), "LANYARD_ALLOWED_PEERS"))
        .contains("spiffe://td/ns/apps/sa/web, spiffe://td/ns/platform/sa/gateway");
  }

  @Test
  void aWiderAnnotationIsRefusedNamingThePatternAndTheCeiling() {
    Pod original = annotated(TestPods.jvmPod(), "spiffe://td/ns/apps/sa/web,spiffe://td/**");

    InjectionResult result = inject(CEILED, original);

    assertThat(result.report().refused()).isTrue();
    assertThat(result.report().reasonCode()).isEqualTo("outside_ceiling");
    assertThat(result.report().summary())
        .isEqualTo(
            "pod orders refused: annotation lanyard.dev/allowed-peers entry \"spiffe://td/**\""
                + " allows peers outside the operator's ceiling [spiffe://td/ns/apps/**,"
                + " spiffe://td/ns/platform/sa/gateway] (injector.ceiling.allowedPeers); pods may"
                + " narrow the ceiling, never widen it: list only patterns within it");
    assertThat(result.pod()).isSameAs(original);
  }

  @Test
  void withoutAnAnnotationOrADefaultAPodGetsTheCeilingItself() {
    InjectionResult result = inject(CEILED, TestPods.jvmPod());

    assertThat(result.report().injected()).isTrue();
    assertThat(env(app(result.pod(), "app"), "LANYARD_ALLOWED_PEERS")).contains(CEILING);
  }

  @Test
  void aContainersOwnAllowedPeersVariableIsJudgedToo() {
    Container own =
        new ContainerBuilder(container("app", "eclipse-temurin:21"))
            .addNewEnv()
            .withName("LANYARD_ALLOWED_PEERS")
            .withValue("spiffe://td/ns/other/*")
            .endEnv()
            .build();

    InjectionResult result = inject(CEILED, pod("own", own));

    assertThat(result.report().refused()).isTrue();
    assertThat(result.report().summary())
        .contains("container app env LANYARD_ALLOWED_PEERS entry \"spiffe://td/ns/other/*\"");

    Container within =
        new ContainerBuilder(own).editEnv(0).withValue("spiffe://td/ns/apps/*").endEnv().build();
    assertThat(inject(CEILED, pod("own", within)).report().injected()).isTrue();
  }

  @Test
  void anAllowedPeersVariableFromAConfigMapCannotBeCheckedAndIsRefused() {
    Container fromConfigMap =
        new ContainerBuilder(container("app", "eclipse-temurin:21"))
            .addNewEnv()
            .withName("LANYARD_ALLOWED_PEERS")
            .withNewValueFrom()
            .withNewConfigMapKeyRef("peers", "policy", false)
            .endValueFrom()
            .endEnv()
            .build();

    InjectionResult result = inject(CEILED, pod("cm", fromConfigMap));

    assertThat(result.report().refused()).isTrue();
    assertThat(result.report().summary())
        .contains("container app takes LANYARD_ALLOWED_PEERS from a valueFrom source")
        .contains("set the pod annotation lanyard.dev/allowed-peers instead");
  }

  @Test
  void theSystemPropertyInJvmOptionsOrTheCommandIsJudged() {
    Container inOptions =
        new ContainerBuilder(container("app", "eclipse-temurin:21"))
            .addNewEnv()
            .withName("JAVA_TOOL_OPTIONS")
            .withValue("-Xmx256m -Dlanyard.allowed.peers=spiffe://td/**")
            .endEnv()
            .build();
    Container inCommand =
        new ContainerBuilder(container("app", "eclipse-temurin:21"))
            .withCommand("sh", "-c")
            .withArgs("exec java -Dlanyard.allowed.peers='audit,spiffe://td/ns/apps/*' -jar a.jar")
            .build();
    Container narrowed =
        new ContainerBuilder(container("app", "eclipse-temurin:21"))
            .withArgs("-Dlanyard.allowed.peers=spiffe://td/ns/apps/sa/x", "-jar", "a.jar")
            .build();

    assertThat(inject(CEILED, pod("o", inOptions)).report().summary())
        .contains("container app env JAVA_TOOL_OPTIONS -Dlanyard.allowed.peers entry")
        .contains("\"spiffe://td/**\"");
    assertThat(inject(CEILED, pod("c", inCommand)).report().summary())
        .contains("container app command -Dlanyard.allowed.peers has \"audit\"")
        .contains("not enabled in namespace apps");
    assertThat(inject(CEILED, pod("n", narrowed)).report().injected()).isTrue();
  }

  @Test
  void auditIsRefusedByDefaultAndAdmittedWhereTheOperatorEnabledIt() {
    Pod audited = annotated(TestPods.jvmPod(), "audit,spiffe://td/ns/apps/*");

    InjectionResult byDefault = inject(new PodInjector(TestPods.config()), audited);
    Pod auditedInLab =
        new PodBuilder(audited).editMetadata().withNamespace("lab").endMetadata().build();
    InjectionResult inLab = CEILED.inject(auditedInLab, RequestContext.of("lab"));
    InjectionResult everywhere = inject(injector("ceiling: {allowAudit: true}"), audited);

    assertThat(byDefault.report().refused()).isTrue();
    assertThat(byDefault.report().summary())
        .contains("annotation lanyard.dev/allowed-peers has \"audit\"")
        .contains("not enabled in namespace apps")
        .contains("injector.ceiling.allowAudit is false");
    assertThat(inLab.report().injected()).isTrue();
    assertThat(everywhere.report().injected()).isTrue();
  }

  @Test
  void aContainerWithEnvFromGetsAnExplicitVariableThatWinsOverWhatItMayHide() {
    Container withEnvFrom =
        new ContainerBuilder(container("app", "eclipse-temurin:21"))
            .addNewEnvFrom()
            .withNewConfigMapRef("settings", false)
            .endEnvFrom()
            .build();

    Pod injected = inject(new PodInjector(TestPods.config()), pod("ef", withEnvFrom)).pod();
    Pod plain = inject(new PodInjector(TestPods.config()), TestPods.jvmPod()).pod();

    assertThat(TestPods.envVar(app(injected, "app"), "LANYARD_ALLOWED_PEERS"))
        .hasValueSatisfying(env -> assertThat(env.getValue()).isEmpty());
    assertThat(TestPods.envVar(app(plain, "app"), "LANYARD_ALLOWED_PEERS")).isEmpty();
  }

  @Test
  void anAlreadyInjectedPodIsJudgedOnWhatItCarries() {
    Pod injected = inject(CEILED, TestPods.jvmPod()).pod();
    Pod widened =
        new PodBuilder(injected)
            .editSpec()
            .editFirstContainer()
            .editMatchingEnv(e -> e.getName().equals("LANYARD_ALLOWED_PEERS"))
            .withValue("spiffe://td/**")
            .endEnv()
            .endContainer()
            .endSpec()
            .build();

    assertThat(inject(CEILED, injected).report().reasonCode()).isEqualTo("already_injected");
    assertThat(inject(CEILED, widened).report().refused()).isTrue();
  }

  @Test
  void skippedPodsAreNotJudged() {
    Pod optedOut =
        new PodBuilder(annotated(TestPods.jvmPod(), "spiffe://td/**"))
            .editMetadata()
            .addToLabels(Map.of(LanyardNames.INJECT, "false"))
            .endMetadata()
            .build();

    assertThat(inject(CEILED, optedOut).report().reasonCode()).isEqualTo("opted_out");
  }
}
