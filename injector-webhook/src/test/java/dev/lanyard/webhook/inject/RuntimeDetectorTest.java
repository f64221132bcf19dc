package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import java.util.List;
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

  @Test
  void lanyardsOwnFlagInJavaToolOptionsIsNoHintSoReinjectionDecidesAlike() {
    Container injectedBefore =
        new ContainerBuilder(container("orders", "gcr.io/acme/orders:1.2"))
            .addNewEnv()
            .withName("JAVA_TOOL_OPTIONS")
            .withValue(" -javaagent:/lanyard/javaagent.jar")
            .endEnv()
            .build();
    Container withOwnOptions =
        new ContainerBuilder(injectedBefore)
            .editFirstEnv()
            .withValue("-Xmx1g -javaagent:/lanyard/javaagent.jar")
            .endEnv()
            .build();

    assertThat(RuntimeDetector.detect(injectedBefore, Map.of(), RuntimeKind.UNKNOWN).runtime())
        .isEqualTo(RuntimeKind.UNKNOWN);
    assertThat(RuntimeDetector.detect(withOwnOptions, Map.of(), RuntimeKind.UNKNOWN).toString())
        .isEqualTo("jvm (it sets JAVA_TOOL_OPTIONS)");
  }

  @Test
  void aJibImageWithoutACommandIsUnknownAndGetsBothByDefault() {
    RuntimeGuess guess =
        RuntimeDetector.detect(
            container("orders", "gcr.io/acme/orders:1.2"), Map.of(), RuntimeKind.UNKNOWN);

    assertThat(guess.runtime()).isEqualTo(RuntimeKind.UNKNOWN);
    assertThat(guess.because())
        .isEqualTo(
            "image gcr.io/acme/orders:1.2 names no runtime and the pod sets no command, so the"
                + " image's own entrypoint decides what runs (a Jib image starts java there);"
                + " configured default unknown: the javaagent (JAVA_TOOL_OPTIONS, ignored unless a"
                + " JVM starts) and the sidecar (HTTP_PROXY, ignored by a JVM); set"
                + " lanyard.dev/runtime.<container>=jvm or other to choose one");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"launcher", "/cnb/lifecycle/launcher", "/cnb/process/web"})
  void aBuildpacksLauncherIsUnknown(String command) {
    Container launcher =
        new ContainerBuilder(container("orders", "registry.example/shop/orders:3.0"))
            .withCommand(command)
            .build();

    RuntimeGuess guess = RuntimeDetector.detect(launcher, Map.of(), RuntimeKind.UNKNOWN);

    assertThat(guess.runtime()).isEqualTo(RuntimeKind.UNKNOWN);
    assertThat(guess.because())
        .startsWith(
            "its command "
                + command
                + " is the Cloud Native Buildpacks launcher, which starts whatever the buildpacks"
                + " built (a JVM for a Java app); configured default unknown");
  }

  @Test
  void anUnknownCommandIsUnknownAndOperatorsMayKeepTheOldDefault() {
    Container server =
        new ContainerBuilder(container("api", "ghcr.io/acme/search-api:4.2"))
            .withCommand("/app/server")
            .build();

    assertThat(RuntimeDetector.detect(server, Map.of(), RuntimeKind.UNKNOWN).because())
        .startsWith(
            "image ghcr.io/acme/search-api:4.2 and command /app/server name no runtime;"
                + " configured default unknown");
    RuntimeGuess other = RuntimeDetector.detect(server, Map.of(), RuntimeKind.OTHER);
    assertThat(other.runtime()).isEqualTo(RuntimeKind.OTHER);
    assertThat(other.because()).contains("configured default other: the sidecar");
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "python:3.12|''|other (image python:3.12 names python)",
        "node:20-alpine|''|other (image node:20-alpine names node)",
        "quay.io/prometheus/node-exporter:v1.8.1|''|other (image"
            + " quay.io/prometheus/node-exporter:v1.8.1 names prometheus)",
        "registry.example/shop/worker:1|python3.12 main.py|other (its command runs python3.12)",
        "registry.example/shop/worker:1|/usr/local/bin/node app.js|other (its command runs"
            + " /usr/local/bin/node)",
        "registry.example/shop/worker:1|sh -c exec java -jar /app.jar|jvm (its shell command runs"
            + " java)",
        "registry.example/shop/worker:1|/bin/sh -c /opt/jdk/bin/java -cp /app Main|jvm (its shell"
            + " command runs java)",
        "eclipse-temurin:21|python3 x.py|jvm (image eclipse-temurin:21 names temurin)"
      })
  void otherRuntimesAreToldApartFromJvms(String image, String command, String expected) {
    Container subject = container("app", image);
    if (!command.isEmpty()) {
      List<String> words = new java.util.ArrayList<>(List.of(command.split(" ", 3)));
      if (words.get(0).endsWith("sh")) {
        subject = new ContainerBuilder(subject).withCommand(words).build();
      } else {
        subject = new ContainerBuilder(subject).withCommand(List.of(command.split(" "))).build();
      }
    }

    assertThat(RuntimeDetector.detect(subject, Map.of(), RuntimeKind.UNKNOWN).toString())
        .isEqualTo(expected);
  }

  private static Container container(String name, String image) {
    return TestPods.container(name, image);
  }
}
