package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuntimeDetectorTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "eclipse-temurin:21-jre, temurin",
    "amazoncorretto:17, corretto",
    "openjdk:17-slim, jdk",
    "gcr.io/distroless/java17-debian12, java",
    "ghcr.io/acme/orders-springboot:2.7, spring",
    "tomcat:10.1, tomcat",
    "quay.io/acme/quotes-quarkus:1.0, quarkus",
    "registry.example/team/app:1.0-jdk21, jdk",
    "bellsoft/liberica-runtime-container:jre-21, liberica",
    "ghcr.io/acme/ledger-jvm:5, jvm",
    "azul/zulu-openjdk:21, zulu",
    "ghcr.io/acme/app@sha256:abc, ''"
  })
  void imageNames(String image, String word) {
    assertThat(RuntimeDetector.jvmWordInImage(image).orElse("")).isEqualTo(word);
  }

  @ParameterizedTest(name = "{0} is not a JVM")
  @CsvSource({
    "python:3.12",
    "node:20-alpine",
    "ghcr.io/acme/my-javascript-app:1",
    "java-mirror.corp.example:5000/team/api:1",
    "nginx:1.27",
    "golang:1.22"
  })
  void notJvmImages(String image) {
    assertThat(RuntimeDetector.jvmWordInImage(image)).isEmpty();
  }

  @Test
  void theAnnotationWinsOverTheImage() {
    RuntimeGuess guess =
        RuntimeDetector.detect(
            container("app", "eclipse-temurin:21"),
            Map.of("app", RuntimeKind.OTHER),
            RuntimeKind.JVM);

    assertThat(guess.runtime()).isEqualTo(RuntimeKind.OTHER);
    assertThat(guess.because()).isEqualTo("annotation lanyard.dev/runtime.app=other");
  }

  @Test
  void jvmEnvironmentVariablesAndAJavaCommandAreHints() {
    Container withJavaOpts =
        new ContainerBuilder(container("app", "acme/app:1"))
            .addNewEnv()
            .withName("JAVA_OPTS")
            .withValue("-Xmx1g")
            .endEnv()
            .build();
    Container withCommand =
        new ContainerBuilder(container("app", "acme/app:1"))
            .withCommand("/opt/java/bin/java", "-jar", "/app.jar")
            .build();

    assertThat(RuntimeDetector.detect(withJavaOpts, Map.of(), RuntimeKind.OTHER).because())
        .isEqualTo("it sets JAVA_OPTS");
    assertThat(RuntimeDetector.detect(withCommand, Map.of(), RuntimeKind.OTHER).runtime())
        .isEqualTo(RuntimeKind.JVM);
  }

  @Test
  void noHintGivesTheConfiguredDefault() {
    assertThat(
            RuntimeDetector.detect(container("app", "acme/app:1"), Map.of(), RuntimeKind.JVM)
                .runtime())
        .isEqualTo(RuntimeKind.JVM);
    assertThat(
            RuntimeDetector.detect(container("app", "acme/app:1"), Map.of(), RuntimeKind.OTHER)
                .runtime())
        .isEqualTo(RuntimeKind.OTHER);
  }

  private static Container container(String name, String image) {
    return TestPods.container(name, image);
  }
}
