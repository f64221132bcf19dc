package dev.lanyard.webhook.inject;

import dev.lanyard.config.ConfigKeys;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds every place in a pod that decides whom a Lanyard process allows, and judges each against
 * the {@link PeerCeiling}: the annotation, every container's {@code LANYARD_ALLOWED_PEERS} (the
 * webhook never overwrites a workload's own variable, so a value it keeps must be checked too),
 * and the {@code -Dlanyard.allowed.peers} system property, which wins over the variable, in JVM
 * option variables, commands and arguments. A value the webhook cannot read ({@code valueFrom})
 * cannot be shown to lie within the ceiling, so it is refused as well.
 *
 * <p>Reads the pod only; never changes it.
 */
final class CeilingCheck {
  /** The javaagent's system property for {@code LANYARD_ALLOWED_PEERS}. */
  static final String PROPERTY = ConfigKeys.ALLOWED_PEERS.property();

  private static final List<String> JVM_OPTION_VARIABLES =
      List.of(LanyardNames.JAVA_TOOL_OPTIONS, "JDK_JAVA_OPTIONS", "JAVA_OPTS");

  private CeilingCheck() {}

  /** The first reason the pod breaks the ceiling, or empty. */
  static Optional<String> violation(Pod pod, String namespace, PeerCeiling ceiling) {
    Optional<String> annotated =
        Optional.ofNullable(pod.getMetadata())
            .map(meta -> meta.getAnnotations())
            .map(annotations -> annotations.get(LanyardNames.ALLOWED_PEERS));
    if (annotated.isPresent()) {
      Optional<String> problem =
          ceiling.violation(annotated.get(), "annotation " + LanyardNames.ALLOWED_PEERS, namespace);
      if (problem.isPresent()) {
        return problem;
      }
    }
    for (Container container : allContainers(pod)) {
      Optional<String> problem = violation(container, namespace, ceiling);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> violation(
      Container container, String namespace, PeerCeiling ceiling) {
    String name = "container " + container.getName();
    for (EnvVar env : env(container)) {
      if (LanyardNames.LANYARD_ALLOWED_PEERS.equals(env.getName())) {
        if (env.getValueFrom() != null) {
          return Optional.of(
              name
                  + " takes "
                  + LanyardNames.LANYARD_ALLOWED_PEERS
                  + " from a valueFrom source, which the webhook cannot check against "
                  + ceilingText(ceiling)
                  + "; remove it and set the pod annotation "
                  + LanyardNames.ALLOWED_PEERS
                  + " instead");
        }
        Optional<String> problem =
            ceiling.violation(
                env.getValue(), name + " env " + LanyardNames.LANYARD_ALLOWED_PEERS, namespace);
        if (problem.isPresent()) {
          return problem;
        }
      }
      if (JVM_OPTION_VARIABLES.contains(env.getName()) && env.getValue() != null) {
        Optional<String> problem =
            inJvmOptions(env.getValue(), name + " env " + env.getName(), namespace, ceiling);
        if (problem.isPresent()) {
          return problem;
        }
      }
    }
    List<String> words = new ArrayList<>();
    if (container.getCommand() != null) {
      words.addAll(container.getCommand());
    }
    if (container.getArgs() != null) {
      words.addAll(container.getArgs());
    }
    for (String word : words) {
      Optional<String> problem = inJvmOptions(word, name + " command", namespace, ceiling);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  /** Every {@code -Dlanyard.allowed.peers=...} in a JVM option string or shell command line. */
  private static Optional<String> inJvmOptions(
      String text, String where, String namespace, PeerCeiling ceiling) {
    if (text == null || !text.contains(PROPERTY)) {
      return Optional.empty();
    }
    for (String token : text.split("\\s+")) {
      int at = token.indexOf(PROPERTY);
      if (at < 0) {
        continue;
      }
      String rest = token.substring(at + PROPERTY.length());
      if (!rest.startsWith("=")) {
        continue; // the name mentioned without a value sets nothing
      }
      String raw = rest.substring(1);
      if (raw.matches("['\"].*") && !raw.matches("(['\"]).*\\1")) {
        // A quoted value with blanks in it: the part after the blank cannot be read here.
        return Optional.of(
            where
                + " sets -D"
                + PROPERTY
                + " to a quoted value with blanks, which the webhook cannot check against "
                + ceilingText(ceiling)
                + "; write it without blanks, or use the pod annotation "
                + LanyardNames.ALLOWED_PEERS);
      }
      String value = raw.replaceAll("^['\"]+|['\"]+$", "");
      Optional<String> problem =
          ceiling.violation(value, where + " -D" + PROPERTY, namespace);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  private static String ceilingText(PeerCeiling ceiling) {
    return ceiling.limitsPatterns() ? ceiling.describe() : "the operator's audit-mode rule";
  }

  private static List<Container> allContainers(Pod pod) {
    List<Container> out = new ArrayList<>();
    if (pod.getSpec() != null) {
      if (pod.getSpec().getInitContainers() != null) {
        out.addAll(pod.getSpec().getInitContainers());
      }
      if (pod.getSpec().getContainers() != null) {
        out.addAll(pod.getSpec().getContainers());
      }
    }
    return out;
  }

  private static List<EnvVar> env(Container container) {
    return container.getEnv() == null ? List.of() : container.getEnv();
  }
}
