package dev.lanyard.webhook.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.workload.Manifests;
import dev.lanyard.webhook.workload.WorkloadKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One golden case: {@code <name>.in.yaml} (a Pod or workload), optionally {@code
 * <name>.config.yaml} (overlaid on {@code config.yaml}), and the expected {@code <name>.out.yaml}
 * and {@code <name>.report.yaml}. Shared by the golden test and the apiserver integration test.
 */
public record GoldenCase(String name, Path directory) {
  public static final Path DIRECTORY = Path.of("src/test/resources/golden");

  /** The namespace a case is injected in when its input names none. */
  public static final String DEFAULT_NAMESPACE = "apps";

  static final String INPUT = ".in.yaml";
  static final String OUTPUT = ".out.yaml";
  static final String REPORT = ".report.yaml";
  static final String CONFIG = ".config.yaml";

  public static List<GoldenCase> all() {
    try (Stream<Path> files = Files.list(DIRECTORY)) {
      List<GoldenCase> cases = new ArrayList<>();
      files
          .map(file -> file.getFileName().toString())
          .filter(file -> file.endsWith(INPUT))
          .sorted()
          .forEach(
              file ->
                  cases.add(
                      new GoldenCase(
                          file.substring(0, file.length() - INPUT.length()), DIRECTORY)));
      return cases;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + DIRECTORY.toAbsolutePath(), e);
    }
  }

  public Path input() {
    return directory.resolve(name + INPUT);
  }

  public Path output() {
    return directory.resolve(name + OUTPUT);
  }

  public Path report() {
    return directory.resolve(name + REPORT);
  }

  public InjectorConfig config() {
    Path overlay = directory.resolve(name + CONFIG);
    String base = read(directory.resolve("config.yaml"));
    return Files.exists(overlay)
        ? InjectorConfigLoader.fromYaml("golden config.yaml + " + overlay, base, read(overlay))
        : InjectorConfigLoader.fromYaml("golden config.yaml", base);
  }

  public JsonNode inputObject() {
    return Manifests.parse(read(input()));
  }

  /** The expected output, as the golden test compares it. */
  public JsonNode outputObject() {
    return Manifests.parse(read(output()));
  }

  /** The object without Lanyard's status annotation: what makes every injection step run again. */
  public static JsonNode withoutStatus(JsonNode object) {
    JsonNode copy = object.deepCopy();
    WorkloadKind.of(object.path("kind").asText())
        .ifPresent(
            kind -> {
              JsonNode annotations = copy.at(kind.template()).path("metadata").path("annotations");
              if (annotations instanceof ObjectNode map) {
                map.remove(LanyardNames.STATUS);
              }
            });
    return copy;
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
