package dev.lanyard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to run locally for one injected pod: a process per app container and one for the sidecar,
 * each with the command its container would run and the environment the webhook gave it (made
 * local by {@link LocalEnvironment}). The javaagent's copy init container has nothing to do here.
 *
 * @param role {@code javaagent}, {@code sidecar} or {@code app} (a container Lanyard serves through
 *     the sidecar)
 * @param injectedNames the variables injection added to the container, for the printout
 */
record LocalProcessPlan(String pod, String container, String role, List<String> command,
    Map<String, String> env, List<String> injectedNames, String podAdminAddress) {

  private static final List<String> DOWNWARD_API = List.of("LANYARD_POD_NAME",
      "LANYARD_POD_NAMESPACE", "LANYARD_NODE_NAME", "LANYARD_SERVICE_ACCOUNT");

  /** One line: what injection added, and where the admin endpoint moved to locally. */
  String describeInjection() {
    List<String> names = new ArrayList<>(injectedNames);
    if (names.containsAll(DOWNWARD_API)) {
      names.removeAll(DOWNWARD_API);
      names.add("4 Downward API vars");
    }
    String admin = adminAddress() == null ? "" : "; admin " + podAdminAddress + " -> " + adminAddress();
    return (role.equals("app") ? "(served by the sidecar) " : "") + String.join(" ", names) + admin;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The Lanyard admin endpoint of this process, or null when it has none (the app behind a sidecar). */
  String adminAddress() {
    return role.equals("app") ? null : env.get("LANYARD_ADMIN_ADDRESS");
  }

  /** The local port standing in for the pod's {@code PORT} (where the app listens), or -1. */
  int appPort() {
    return env.containsKey("PORT") ? Integer.parseInt(env.get("PORT")) : -1;
  }

  /**
   * @param original the Deployment as written, to tell what injection added
   * @param injected the same Deployment after {@code lanyard inject}'s core
   * @param localPaths image paths ({@code /app/...}) to files on this machine
   * @param javaCommand what {@code java} becomes (the JDK binary, plus the hosts-file flag)
   * @param sidecarCommand the sidecar image's entrypoint, as run here
   */
  static List<LocalProcessPlan> of(JsonNode original, JsonNode injected, LocalEnvironment environment,
      Map<String, String> localPaths, List<String> javaCommand, List<String> sidecarCommand) {
    String deployment = DemoManifests.name(injected);
    JsonNode template = injected.path("spec").path("template");
    JsonNode status = status(template);
    LocalEnvironment.Pod pod = new LocalEnvironment.Pod(deployment,
        injected.path("metadata").path("namespace").asText(),
        template.path("spec").path("serviceAccountName").asText("default"));
    List<LocalProcessPlan> plans = new ArrayList<>();
    for (JsonNode container : template.path("spec").path("initContainers")) {
      if (container.path("name").asText().equals("lanyard-sidecar")) {
        Map<String, String> env = environment.localize(pod, container.path("env"));
        // The sidecar's shutdown port is not in the pod spec (its default, 15002 on the pod's own
        // loopback); here it needs a free port like every other pod port.
        env.put("LANYARD_SHUTDOWN_ADDRESS", environment.value(pod, "LANYARD_SHUTDOWN_ADDRESS",
            "127.0.0.1:15002"));
        plans.add(new LocalProcessPlan(deployment, "lanyard-sidecar", "sidecar", sidecarCommand,
            env, List.copyOf(env.keySet()), podValue(container, "LANYARD_ADMIN_ADDRESS")));
      }
    }
    for (JsonNode container : template.path("spec").path("containers")) {
      String name = container.path("name").asText();
      String mode = status.path("containers").path(name).asText("none");
      List<String> command = new ArrayList<>();
      container.path("command").forEach(part -> command.addAll(localPart(part.asText(),
          localPaths, javaCommand)));
      container.path("args").forEach(part -> command.add(localPaths.getOrDefault(part.asText(),
          part.asText())));
      plans.add(new LocalProcessPlan(deployment, name, mode.equals("javaagent") ? "javaagent" : "app",
          command, environment.localize(pod, container.path("env")),
          added(originalContainer(original, name), container),
          podValue(container, "LANYARD_ADMIN_ADDRESS")));
    }
    return plans;
  }

  private static List<String> localPart(String part, Map<String, String> localPaths,
      List<String> javaCommand) {
    if (part.equals("java")) {
      return javaCommand;
    }
    return List.of(localPaths.getOrDefault(part, part));
  }

  private static String podValue(JsonNode container, String name) {
    for (JsonNode variable : container.path("env")) {
      if (variable.path("name").asText().equals(name)) {
        return variable.path("value").asText();
      }
    }
    return null;
  }

  private static JsonNode status(JsonNode template) {
    String text = template.path("metadata").path("annotations").path("lanyard.dev/status").asText("");
    if (text.isEmpty()) {
      throw new IllegalStateException("the pod was not injected (no lanyard.dev/status)");
    }
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException("lanyard.dev/status is not JSON: " + text, e);
    }
  }

  private static JsonNode originalContainer(JsonNode original, String name) {
    for (JsonNode container : original.path("spec").path("template").path("spec").path("containers")) {
      if (container.path("name").asText().equals(name)) {
        return container;
      }
    }
    return JSON.createObjectNode();
  }

  private static List<String> added(JsonNode before, JsonNode after) {
    Map<String, String> had = new LinkedHashMap<>();
    before.path("env").forEach(v -> had.put(v.path("name").asText(), v.path("value").asText()));
    List<String> names = new ArrayList<>();
    for (Iterator<JsonNode> it = after.path("env").elements(); it.hasNext(); ) {
      JsonNode variable = it.next();
      String name = variable.path("name").asText();
      if (!had.containsKey(name) || !had.get(name).equals(variable.path("value").asText())) {
        names.add(name);
      }
    }
    return names;
  }
}
