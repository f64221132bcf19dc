package dev.lanyard.webhook.workload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Multi-document YAML (or JSON) manifests in and out, as {@code kubectl} writes and reads them. */
public final class Manifests {
  private static final ObjectMapper YAML =
      new ObjectMapper(
              YAMLFactory.builder()
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                  .disable(YAMLGenerator.Feature.SPLIT_LINES)
                  .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                  .build())
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private Manifests() {}

  /**
   * Every object in the text, in order; empty documents are dropped and a {@code kind: List} (what
   * {@code kubectl get -o yaml} prints) contributes its items.
   *
   * @param source named in error messages, e.g. the file name
   */
  public static List<JsonNode> read(Reader text, String source) {
    List<JsonNode> objects = new ArrayList<>();
    try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(text)) {
      int index = 0;
      while (documents.hasNextValue()) {
        index++;
        JsonNode document = documents.nextValue();
        if (document == null
            || document.isNull()
            || document.isMissingNode()
            || (document.isObject() && document.isEmpty())) {
          continue;
        }
        if (!document.isObject()) {
          throw new InvalidManifestException(
              source
                  + ": document "
                  + index
                  + " is a "
                  + document.getNodeType().name().toLowerCase()
                  + ", not a Kubernetes object (a mapping with kind)");
        }
        if ("List".equals(document.path("kind").asText()) && document.path("items").isArray()) {
          document.path("items").forEach(objects::add);
        } else {
          objects.add(document);
        }
      }
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      throw new InvalidManifestException(
          source + " is not valid YAML" + where + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + source, e);
    }
    return objects;
  }

  /** The objects as YAML documents, each introduced by {@code ---}. */
  public static String write(List<JsonNode> objects) {
    StringWriter out = new StringWriter();
    for (JsonNode object : objects) {
      out.write(toYaml(object));
    }
    return out.toString();
  }

  public static String toYaml(JsonNode object) {
    try {
      return YAML.writeValueAsString(object);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write YAML", e);
    }
  }

  /** One YAML document as a tree (tests, small inputs). */
  public static JsonNode parse(String yaml) {
    try {
      return YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new InvalidManifestException("not valid YAML: " + e.getOriginalMessage());
    }
  }
}
