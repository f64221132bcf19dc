package dev.lanyard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void figuresKeepTheQuotedDecimalsAndUnmeasuredOnesAreNull() throws Exception {
    ObjectNode report = Json.object();
    report.put("command", "bench/run.sh --rounds \"2\"\n");
    report.put("median_ratio", Json.number(0.98765, 3));
    report.set("load_start", Json.numbers(new double[] {1.5, 2, 0.125}, 2));
    report.set("samples", Json.numbers(Arrays.asList(12.0, Double.NaN), 1));
    report.set("load_end", Json.numbers((double[]) null, 2));

    String text = Json.write(report);

    assertThat(text).contains("\"median_ratio\" : 0.988", "1.50", "2.00", "0.13", "12.0")
        .endsWith("}\n");
    JsonNode parsed = new ObjectMapper().readTree(text);
    assertThat(parsed.fieldNames()).toIterable()
        .containsExactly("command", "median_ratio", "load_start", "samples", "load_end");
    assertThat(parsed.path("command").asText()).isEqualTo("bench/run.sh --rounds \"2\"\n");
    assertThat(parsed.path("samples").get(1).isNull()).isTrue();
    assertThat(parsed.path("load_end")).isEmpty();
  }

  @Test
  void stringListsStayInOrder() {
    assertThat(Json.strings(List.of("-Xss256k", "-XX:+UseSerialGC")).toString())
        .isEqualTo("[\"-Xss256k\",\"-XX:+UseSerialGC\"]");
  }
}
