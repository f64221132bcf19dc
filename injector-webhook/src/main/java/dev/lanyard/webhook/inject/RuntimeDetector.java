package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides what a container runs, in this order: the pod's {@code lanyard.dev/runtime.<container>}
 * annotation; a JVM word in the image name; JVM-only environment variables; a {@code java}
 * command (also inside {@code sh -c}); then the signs of another runtime (a non-JVM word in the
 * image name, an interpreter or server as the command). Without any, the runtime is unknown and
 * the configured default decides ({@code unknown}: the javaagent and the sidecar both). Images
 * built by Jib or Cloud Native Buildpacks are that case: no JVM word in their name, and the pod
 * sets no {@code java} command (the image's entrypoint or the buildpacks {@code launcher} starts
 * it). Wrong guesses are cheap to fix (the annotation), so the heuristics stay simple and
 * explainable.
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

  /**
   * Image-name words (a whole word, or its start: {@code python3}, {@code node20}) of other
   * runtimes and of well-known servers that are not JVMs.
   */
  private static final List<String> OTHER_IMAGE_WORDS =
      List.of(
          "python", "node", "golang", "ruby", "php", "perl", "dotnet", "aspnet", "rust", "deno",
          "nginx", "httpd", "envoy", "haproxy", "caddy", "traefik", "redis", "postgres", "mysql",
          "mariadb", "mongo", "memcached", "busybox", "coredns", "prometheus", "grafana");

  /** Commands that start a runtime or server other than a JVM. */
  private static final List<String> OTHER_COMMANDS =
      List.of(
          "python", "node", "ruby", "php", "perl", "dotnet", "deno", "bun", "nginx", "httpd",
          "envoy", "haproxy", "redis-server", "postgres", "busybox");

  /** Commands of the Cloud Native Buildpacks launcher: it starts whatever the buildpacks built. */
  private static final Set<String> BUILDPACKS_LAUNCHERS =
      Set.of("launcher", "/cnb/lifecycle/launcher");

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
      if (JVM_ENV.contains(env.getName()) && !onlyLanyardsFlag(env)) {
        return new RuntimeGuess(RuntimeKind.JVM, "it sets " + env.getName());
      }
    }
    List<String> command = container.getCommand() == null ? List.of() : container.getCommand();
    List<String> args = container.getArgs() == null ? List.of() : container.getArgs();
    if (!command.isEmpty() && isJavaLauncher(command.get(0))) {
      return new RuntimeGuess(RuntimeKind.JVM, "its command runs " + command.get(0));
    }
    Optional<String> script = shellScript(command, args);
    if (script.isPresent() && script.get().matches("(?s).*(^|[\\s;&|/])java(\\s.*|$)")) {
      return new RuntimeGuess(RuntimeKind.JVM, "its shell command runs java");
    }
    Optional<String> other = otherWordInImage(container.getImage());
    if (other.isPresent()) {
      return new RuntimeGuess(
          RuntimeKind.OTHER, "image " + container.getImage() + " names " + other.get());
    }
    if (!command.isEmpty() && OTHER_COMMANDS.contains(interpreter(executable(command.get(0))))) {
      return new RuntimeGuess(RuntimeKind.OTHER, "its command runs " + command.get(0));
    }
    return new RuntimeGuess(fallback, unknownBecause(container.getImage(), command, fallback));
  }

  /**
   * A JAVA_TOOL_OPTIONS that holds nothing but Lanyard's own flag is no hint: Lanyard put it there
   * (a pod injected before, its status annotation removed), and judging it again must reach the
   * same decision for the same reason.
   */
  private static boolean onlyLanyardsFlag(EnvVar env) {
    String value = env.getValue();
    return env.getValueFrom() == null
        && value != null
        && JavaToolOptions.hasJavaagent(value)
        && value.trim().split("\\s+").length == 1;
  }

  /** Why nothing could be told, and what the configured default makes of it. */
  private static String unknownBecause(String image, List<String> command, RuntimeKind fallback) {
    String seen;
    if (command.isEmpty()) {
      seen =
          "image "
              + image
              + " names no runtime and the pod sets no command, so the image's own entrypoint"
              + " decides what runs (a Jib image starts java there)";
    } else if (BUILDPACKS_LAUNCHERS.contains(command.get(0))
        || command.get(0).startsWith("/cnb/")) {
      seen =
          "its command "
              + command.get(0)
              + " is the Cloud Native Buildpacks launcher, which starts whatever the buildpacks"
              + " built (a JVM for a Java app)";
    } else {
      seen = "image " + image + " and command " + command.get(0) + " name no runtime";
    }
    return seen
        + "; configured default "
        + fallback.wireName()
        + switch (fallback) {
          case UNKNOWN ->
              ": the javaagent (JAVA_TOOL_OPTIONS, ignored unless a JVM starts) and the sidecar"
                  + " (HTTP_PROXY, ignored by a JVM)";
          case JVM -> ": the javaagent";
          case OTHER -> ": the sidecar";
        }
        + "; set "
        + LanyardNames.RUNTIME_PREFIX
        + "<container>=jvm or other to choose one";
  }

  /** The other runtime's word in the image's repository path or tag, if any. */
  static Optional<String> otherWordInImage(String image) {
    for (String token : imageTokens(image)) {
      for (String word : OTHER_IMAGE_WORDS) {
        if (token.startsWith(word)) {
          return Optional.of(word);
        }
      }
    }
    return Optional.empty();
  }

  /** The script of {@code sh -c SCRIPT} (or bash, ash, dash), in command or args. */
  private static Optional<String> shellScript(List<String> command, List<String> args) {
    List<String> line = new java.util.ArrayList<>(command);
    line.addAll(args);
    if (line.size() < 3
        || !List.of("sh", "bash", "ash", "dash").contains(executable(line.get(0)))) {
      return Optional.empty();
    }
    int flag = line.indexOf("-c");
    return flag >= 0 && flag + 1 < line.size() ? Optional.of(line.get(flag + 1)) : Optional.empty();
  }

  private static String executable(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** {@code python3.12} is python: the name without its version. */
  private static String interpreter(String name) {
    return name.replaceAll("[0-9.]+$", "");
  }

  /** The JVM word in the image's repository path or tag (not its registry host), if any. */
  static Optional<String> jvmWordInImage(String image) {
    for (String token : imageTokens(image)) {
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

  /** The words of the image's repository path and tag, without its registry host and digest. */
  private static List<String> imageTokens(String image) {
    if (image == null || image.isBlank()) {
      return List.of();
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
    return List.of(reference.split("[/:._-]+"));
  }

  private static boolean isJavaLauncher(String executable) {
    return executable(executable).equals("java");
  }
}
