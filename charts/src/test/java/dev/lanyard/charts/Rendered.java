package dev.lanyard.charts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The objects {@code helm template} rendered, parsed (never compared as text). */
final class Rendered {
  static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory());

  private final List<ObjectNode> objects;

  private Rendered(List<ObjectNode> objects) {
    this.objects = List.copyOf(objects);
  }

  static Rendered parse(String yaml) {
    List<ObjectNode> objects = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(yaml)) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode node = it.next();
        if (node != null && node.isObject() && node.has("kind")) {
          objects.add((ObjectNode) node);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("helm template printed invalid YAML", e);
    }
    return new Rendered(objects);
  }

  List<ObjectNode> objects() {
    return objects;
  }

  /** "Kind/name" of every object, in render order. */
  List<String> names() {
    return objects.stream()
        .map(o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText())
        .toList();
  }

  boolean has(String kind) {
    return objects.stream().anyMatch(o -> kind.equals(o.path("kind").asText()));
  }

  /** The only object of this kind; fails if there is none or more than one. */
  ObjectNode one(String kind) {
    List<ObjectNode> matching =
        objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    if (matching.size() != 1) {
      throw new AssertionError("expected one " + kind + ", rendered: " + names());
    }
    return matching.get(0);
  }

  /** The webhook's pod template spec. */
  JsonNode podSpec() {
    return one("Deployment").at("/spec/template/spec");
  }

  /**
   * The JVM options the webhook container gets: a {@code -XX:MaxRAM} of its memory limit (what a
   * container JVM sees) followed by its {@code JAVA_TOOL_OPTIONS}.
   */
  List<String> webhookJvmOptions() {
    JsonNode container = podSpec().path("containers").get(0);
    String limit = container.at("/resources/limits/memory").asText();
    if (!limit.endsWith("Mi")) {
      throw new AssertionError("the webhook's memory limit is not in Mi: " + limit);
    }
    List<String> options = new java.util.ArrayList<>();
    options.add("-XX:MaxRAM=" + limit.substring(0, limit.length() - 2) + "m");
    for (JsonNode env : container.path("env")) {
      if (env.path("name").asText().equals("JAVA_TOOL_OPTIONS")) {
        options.addAll(List.of(env.path("value").asText().trim().split("\\s+")));
      }
    }
    return options;
  }

  /** The one admission webhook of the MutatingWebhookConfiguration. */
  JsonNode admissionWebhook() {
    JsonNode webhooks = one("MutatingWebhookConfiguration").path("webhooks");
    if (webhooks.size() != 1) {
      throw new AssertionError("expected one webhook, got " + webhooks);
    }
    return webhooks.get(0);
  }

  /** The rendered injector configuration file (the webhook's --config). */
  String injectorConfig() {
    return one("ConfigMap").path("data").path("injector.yaml").asText();
  }

  /** All objects as one multi-document YAML stream (for kubectl). */
  String yaml(List<? extends JsonNode> selected) {
    StringBuilder out = new StringBuilder();
    for (JsonNode object : selected) {
      try {
        out.append(YAML.writeValueAsString(object));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out.toString();
  }
}
