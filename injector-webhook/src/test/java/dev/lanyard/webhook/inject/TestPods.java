package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Optional;

/** Small pods for unit tests, and ways to look into injected ones. */
public final class TestPods {
  public static final String NAMESPACE = "apps";

  private TestPods() {}

  public static InjectorConfig config() {
    return InjectorConfigLoader.fromYaml(
        "test config",
        """
        version: 0.0.0-test
        javaagent: {image: registry.example/lanyard/javaagent:test}
        sidecar: {image: registry.example/lanyard/sidecar:test}
        """);
  }

  public static Container container(String name, String image) {
    return new ContainerBuilder().withName(name).withImage(image).build();
  }

  public static Pod pod(String name, Container... containers) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NAMESPACE)
        .endMetadata()
        .withNewSpec()
        .withContainers(containers)
        .endSpec()
        .build();
  }

  public static Pod jvmPod() {
    return pod("orders", container("app", "eclipse-temurin:21"));
  }

  public static Pod pythonPod() {
    return pod("summarizer", container("api", "python:3.12"));
  }

  public static Container app(Pod pod, String name) {
    return pod.getSpec().getContainers().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  public static Optional<Container> init(Pod pod, String name) {
    List<Container> inits = pod.getSpec().getInitContainers();
    return inits == null
        ? Optional.empty()
        : inits.stream().filter(c -> c.getName().equals(name)).findFirst();
  }

  public static Optional<String> env(Container container, String name) {
    return container.getEnv() == null
        ? Optional.empty()
        : container.getEnv().stream()
            .filter(e -> e.getName().equals(name))
            .map(EnvVar::getValue)
            .findFirst();
  }

  public static Optional<EnvVar> envVar(Container container, String name) {
    return container.getEnv() == null
        ? Optional.empty()
        : container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
  }
}
