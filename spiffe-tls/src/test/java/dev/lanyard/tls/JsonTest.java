package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void writesNestedValuesInOrderAndLeavesOutNullFields() {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("b", 1);
    object.put("a", true);
    object.put("gone", null);
    object.put("list", Arrays.asList("x", 2.5, null, Map.of("k", "v")));

    assertThat(Json.write(object)).isEqualTo("{\"b\":1,\"a\":true,\"list\":[\"x\",2.5,null,{\"k\":\"v\"}]}");
  }

  @Test
  void escapesQuotesBackslashesAndControlCharacters() {
    assertThat(Json.write("a\"b\\c\nd\te\u0001\u2028"))
        .isEqualTo("\"a\\\"b\\\\c\\nd\\u0009e\\u0001\\u2028\"");
  }

  @Test
  void writesEmptyContainers() {
    assertThat(Json.write(Map.of())).isEqualTo("{}");
    assertThat(Json.write(Arrays.asList())).isEqualTo("[]");
  }
}
