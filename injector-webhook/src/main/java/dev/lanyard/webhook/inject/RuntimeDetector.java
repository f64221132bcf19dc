package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a container runs a JVM, in this order: the pod's {@code
 * lanyard.dev/runtime.<container>} annotation; the image name; JVM-only environment variables; a
 * {@code java} command; then the configured default. Wrong guesses are cheap to fix (the
 * annotation), so the heuristics stay simple and explainable.
 */
final class RuntimeDetector {
  /**
   * Words in image names that mean a JVM: distributions, JVM languages, JVM servers and frameworks.
   */
  private static final List<String> JVM_IMAGE_WORDS =
      List.of(
          "java",
          "jdk",
          "jre",
          "jvm",
          "temurin",
          "openjdk",
          "corretto",
          "zulu",
          "graalvm",
          "liberica",
          "semeru",
          "spring",
          "tomcat",
          "jetty",
          "quarkus",
          "kotlin",
          "wildfly",
          "jboss",
          "payara",
          "micronaut",
          "helidon");

  /** Image-name words that contain a JVM word but are not one. */
  private static final Set<String> NOT_JVM_WORDS = Set.of("javascript");

  /** Environment variables only JVM launchers read. */
  private static final List<String> JVM_ENV =
      List.of("JAVA_TOOL_OPTIONS", "JAVA_OPTS", "JDK_JAVA_OPTIONS");

  private RuntimeDetector() {}

  static RuntimeGuess detect(
      Container container, Map<String, RuntimeKind> overrides, RuntimeKind fallback) {
    RuntimeKind override = overrides.get(container.getName());
    if (override != null) {
      return new RuntimeGuess(
          override,
          "annotation "
              + LanyardNames.RUNTIME_PREFIX
              + container.getName()
              + "="
              + override.wireName());
    }
    Optional<String> word = jvmWordInImage(container.getImage());
    if (word.isPresent()) {
      return new RuntimeGuess(
          RuntimeKind.JVM, "image " + container.getImage() + " names " + word.get());
    }
    for (EnvVar env : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
      if (JVM_ENV.contains(env.getName())) {
        return new RuntimeGuess(RuntimeKind.JVM, "it sets " + env.getName());
      }
    }
    List<String> command = container.getCommand();
    if (command != null && !command.isEmpty() && isJavaLauncher(command.get(0))) {
      return new RuntimeGuess(RuntimeKind.JVM, "its command runs " + command.get(0));
    }
    return new RuntimeGuess(
        fallback, "no JVM hint in image, command or environment; configured default");
  }

  /** The JVM word in the image's repository path or tag (not its registry host), if any. */
  static Optional<String> jvmWordInImage(String image) {
    if (image == null || image.isBlank()) {
      return Optional.empty();
    }
    String reference = image.toLowerCase(Locale.ROOT);
    int digest = reference.indexOf('@');
    if (digest >= 0) {
      reference = reference.substring(0, digest);
    }
    // A first path segment with a dot or port is a registry host ("java-mirror.corp:5000/app"),
    // which says nothing about what runs inside.
    int slash = reference.indexOf('/');
    if (slash > 0) {
      String first = reference.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        reference = reference.substring(slash + 1);
      }
    }
    for (String token : reference.split("[/:._-]+")) {
      if (NOT_JVM_WORDS.contains(token)) {
        continue;
      }
      for (String word : JVM_IMAGE_WORDS) {
        if (token.contains(word)) {
          return Optional.of(word);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isJavaLauncher(String executable) {
    String name = executable.substring(executable.lastIndexOf('/') + 1);
    return name.equals("java");
  }
}
