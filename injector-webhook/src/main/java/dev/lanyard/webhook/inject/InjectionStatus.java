package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code lanyard.dev/status} annotation: which Lanyard version injected the pod, the mode of
 * every app container, each Lanyard process's admin port, and what injection consists of (init
 * containers and volumes). Its presence means "already injected"; {@code lanyard identities} reads
 * the admin ports from it.
 *
 * @param containers app container name to mode ({@code javaagent}, {@code sidecar}, {@code
 *     javaagent+sidecar}, {@code socket}, {@code skipped})
 * @param runtimes app container name to the runtime chosen and why, e.g. {@code unknown (it sets
 *     no command, so the image's own entrypoint decides what runs ...)}
 * @param adminPorts process (the sidecar container or a javaagent's app container) to admin port
 */
public record InjectionStatus(
    String version,
    Map<String, String> containers,
    Map<String, String> runtimes,
    Map<String, Integer> adminPorts,
    List<String> initContainers,
    List<String> volumes) {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public InjectionStatus {
    containers =
        containers == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(containers));
    runtimes =
        runtimes == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(runtimes));
    adminPorts =
        adminPorts == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(adminPorts));
    initContainers = initContainers == null ? List.of() : List.copyOf(initContainers);
    volumes = volumes == null ? List.of() : List.copyOf(volumes);
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write lanyard.dev/status", e);
    }
  }

  /** The pod's status annotation, if present and readable (newer versions may add fields). */
  public static Optional<InjectionStatus> parse(String json) {
    if (json == null || json.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(JSON.readValue(json, InjectionStatus.class));
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }
}
