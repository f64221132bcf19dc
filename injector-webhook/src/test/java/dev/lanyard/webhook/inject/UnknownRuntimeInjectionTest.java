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
import org.junit.jupiter.api.Test;

/**
 * A container whose runtime the pod spec does not tell (a Jib or Cloud Native Buildpacks image)
 * gets the javaagent and the sidecar, so a JVM in it is never left without mTLS (it would ignore
 * the sidecar's HTTP_PROXY); the status annotation says which runtime was chosen and why.
 */
class UnknownRuntimeInjectionTest {
  private final PodInjector injector = new PodInjector(TestPods.config());

  @Test
  void aJibImageGetsTheJavaagentAndTheSidecarAndTheStatusSaysWhy() {
    InjectionResult result =
        injector.inject(
            pod("orders", container("app", "gcr.io/acme/orders:1.2")),
            RequestContext.of(TestPods.NAMESPACE));

    Pod pod = result.pod();
    Container app = app(pod, "app");
    assertThat(env(app, "JAVA_TOOL_OPTIONS")).contains("-javaagent:/lanyard/javaagent.jar");
    assertThat(env(app, "HTTP_PROXY")).contains("http://127.0.0.1:15001");
    assertThat(init(pod, "lanyard-javaagent")).isPresent();
    assertThat(init(pod, "lanyard-sidecar")).isPresent();
    InjectionStatus status =
        InjectionStatus.parse(pod.getMetadata().getAnnotations().get(LanyardNames.STATUS))
            .orElseThrow();
    assertThat(status.containers()).containsEntry("app", "javaagent+sidecar");
    assertThat(status.runtimes().get("app"))
        .startsWith("unknown (image gcr.io/acme/orders:1.2 names no runtime and the pod sets no"
            + " command");
    // two Lanyard processes, two admin ports: the sidecar keeps 15000
    assertThat(status.adminPorts()).containsEntry("lanyard-sidecar", 15000);
    assertThat(status.adminPorts()).containsEntry("app", 15003);
    assertThat(env(app, "LANYARD_ADMIN_ADDRESS")).contains("127.0.0.1:15003");
  }

  @Test
  void aBuildpacksLauncherGetsBothAndKnownRuntimesGetOne() {
    Container buildpacks =
        new ContainerBuilder(container("orders", "registry.example/shop/orders:3.0"))
            .withCommand("launcher")
            .build();
    Pod pod =
        injector
            .inject(
                pod(
                    "mixed",
                    buildpacks,
                    container("jvm", "eclipse-temurin:21"),
                    container("py", "python:3.12")),
                RequestContext.of(TestPods.NAMESPACE))
            .pod();

    InjectionStatus status =
        InjectionStatus.parse(pod.getMetadata().getAnnotations().get(LanyardNames.STATUS))
            .orElseThrow();
    assertThat(status.containers())
        .containsEntry("orders", "javaagent+sidecar")
        .containsEntry("jvm", "javaagent")
        .containsEntry("py", "sidecar");
    assertThat(status.runtimes().get("orders")).contains("Cloud Native Buildpacks launcher");
    assertThat(status.runtimes().get("py")).isEqualTo("other (image python:3.12 names python)");
    assertThat(env(app(pod, "jvm"), "HTTP_PROXY")).isEmpty();
    assertThat(env(app(pod, "py"), "JAVA_TOOL_OPTIONS")).isEmpty();
  }
}
