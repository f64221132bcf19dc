package dev.lanyard.demo.workloads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void roundTripsWhatTheWorkloadsSend() {
    Map<String, Object> value = Json.object("text", "quote \" slash \\ line\n tab\t \u0001",
        "n", 3L, "x", 0.5, "ok", true, "none", null, "list", List.of(1L, "two", Map.of()));

    assertThat(Json.parse(Json.write(value))).isEqualTo(value);
    assertThat(Json.parse(" {\"a\" : [ ] , \"b\":\"\\u00e9\"} ")).isEqualTo(Map.of("a", List.of(), "b", "é"));
  }

  @Test
  void badInputIsAClearErrorWithTheOffset() {
    for (String bad : List.of("", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "\"open", "{a:1}", "tru")) {
      assertThatThrownBy(() -> Json.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid JSON at offset");
    }
    assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("expected a JSON object");
  }
}
