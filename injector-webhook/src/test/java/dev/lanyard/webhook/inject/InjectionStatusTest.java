package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InjectionStatusTest {
  @Test
  void roundTripsThroughJson() {
    InjectionStatus status =
        new InjectionStatus(
            "1.2.3",
            Map.of("app", "javaagent"),
            Map.of("app", "jvm (image eclipse-temurin:21 names temurin)"),
            Map.of("app", 15000),
            List.of("lanyard-javaagent"),
            List.of("spiffe-workload-api"));

    assertThat(InjectionStatus.parse(status.toJson())).contains(status);
  }

  @Test
  void fieldsOfNewerVersionsAreIgnoredAndGarbageIsNoStatus() {
    assertThat(InjectionStatus.parse("{\"version\":\"9\",\"future\":true}").orElseThrow().version())
        .isEqualTo("9");
    assertThat(InjectionStatus.parse("not json")).isEmpty();
    assertThat(InjectionStatus.parse("")).isEmpty();
  }
}
