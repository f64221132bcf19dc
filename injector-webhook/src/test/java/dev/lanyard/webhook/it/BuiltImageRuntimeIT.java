package dev.lanyard.webhook.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.webhook.admission.InjectionEvents;
import dev.lanyard.webhook.inject.InjectionStatus;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.TestPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images built by Jib and Cloud Native Buildpacks, through the real kube-apiserver and the
 * webhook: no JVM word in the image name, no {@code java} command in the pod, so the runtime is
 * unknown; they get the javaagent (which their JVM reads from JAVA_TOOL_OPTIONS) and the sidecar,
 * never the sidecar alone (a JVM ignores HTTP_PROXY: no mTLS at all). {@code lanyard.dev/status}
 * says which runtime was chosen and why.
 */
class BuiltImageRuntimeIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  private static final String NAMESPACE = "it-built-images";

  @TempDir static Path directory;

  private static WebhookFixture webhook;

  @BeforeAll
  static void startWebhook() throws Exception {
    webhook =
        new WebhookFixture(
            kube.server(), directory, TestPods.config(), metrics -> InjectionEvents.NONE);
    webhook.createNamespace(
        NAMESPACE, Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    webhook.awaitInjecting(NAMESPACE);
  }

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  @Test
  void aJibImageWithoutACommandGetsTheJavaagentAndTheSidecar() {
    Pod pod = create(pod("orders", "gcr.io/acme/orders:1.2", List.of(), List.of()));

    Container app = pod.getSpec().getContainers().get(0);
    assertThat(env(app, "JAVA_TOOL_OPTIONS")).contains("-javaagent:/lanyard/javaagent.jar");
    assertThat(env(app, "HTTP_PROXY")).contains("http://127.0.0.1:15001");
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .contains("lanyard-javaagent", "lanyard-sidecar");
    InjectionStatus status = status(pod);
    assertThat(status.containers()).containsEntry("app", "javaagent+sidecar");
    assertThat(status.runtimes().get("app"))
        .startsWith(
            "unknown (image gcr.io/acme/orders:1.2 names no runtime and the pod sets no command,"
                + " so the image's own entrypoint decides what runs (a Jib image starts java"
                + " there); configured default unknown: the javaagent");
  }

  @Test
  void aBuildpacksImageRunByItsLauncherGetsTheJavaagentAndTheSidecar() {
    Pod pod =
        create(
            pod(
                "billing",
                "registry.example/shop/billing:7.3",
                List.of("launcher"),
                List.of("java -jar /workspace/billing.jar")));

    Container app = pod.getSpec().getContainers().get(0);
    assertThat(env(app, "JAVA_TOOL_OPTIONS")).contains("-javaagent:/lanyard/javaagent.jar");
    assertThat(env(app, "HTTP_PROXY")).contains("http://127.0.0.1:15001");
    InjectionStatus status = status(pod);
    assertThat(status.containers()).containsEntry("app", "javaagent+sidecar");
    assertThat(status.runtimes().get("app"))
        .startsWith(
            "unknown (its command launcher is the Cloud Native Buildpacks launcher, which starts"
                + " whatever the buildpacks built (a JVM for a Java app)");
  }

  @Test
  void anImageOfAnotherRuntimeStillGetsOnlyTheSidecar() {
    Pod pod = create(pod("summarizer", "python:3.12-slim", List.of(), List.of()));

    Container app = pod.getSpec().getContainers().get(0);
    assertThat(env(app, "JAVA_TOOL_OPTIONS")).isEmpty();
    assertThat(env(app, "HTTP_PROXY")).contains("http://127.0.0.1:15001");
    assertThat(status(pod).runtimes())
        .containsEntry("app", "other (image python:3.12-slim names python)");
  }

  private static Pod pod(String name, String image, List<String> command, List<String> args) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage(image)
        .withCommand(command)
        .withArgs(args)
        .endContainer()
        .endSpec()
        .build();
  }

  private static Pod create(Pod pod) {
    kube.client().pods().inNamespace(NAMESPACE).resource(pod).create();
    return kube.client().pods().inNamespace(NAMESPACE).withName(pod.getMetadata().getName()).get();
  }

  private static InjectionStatus status(Pod pod) {
    return InjectionStatus.parse(pod.getMetadata().getAnnotations().get(LanyardNames.STATUS))
        .orElseThrow();
  }

  private static Optional<String> env(Container container, String name) {
    return container.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .filter(value -> value != null)
        .findFirst();
  }
}
