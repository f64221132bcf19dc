package dev.lanyard.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * The reports' JSON, written by Jackson: objects keep their fields in insertion order, and a
 * figure is a JSON number with the decimals the report quotes ({@code 12.340}), or {@code null}
 * when it could not be measured (NaN is no JSON).
 */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  /** {@code value} rounded half-up to {@code decimals} places; null when not finite. */
  static BigDecimal number(double value, int decimals) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return null;
    }
    return BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP);
  }

  /** Each value as {@link #number}. */
  static ArrayNode numbers(List<Double> values, int decimals) {
    List<Double> copy;
    synchronized (values) {
      copy = new ArrayList<>(values);
    }
    ArrayNode array = array();
    copy.forEach(value -> array.add(number(value, decimals)));
    return array;
  }

  /** A load-average triple (or an empty array when it was not read). */
  static ArrayNode numbers(double[] values, int decimals) {
    ArrayNode array = array();
    if (values != null) {
      for (double value : values) {
        array.add(number(value, decimals));
      }
    }
    return array;
  }

  static ArrayNode strings(List<String> values) {
    ArrayNode array = array();
    values.forEach(array::add);
    return array;
  }

  /** The document, indented, with a final newline. */
  static String write(ObjectNode document) {
    try {
      return MAPPER.writeValueAsString(document) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the report's JSON", e);
    }
  }
}
