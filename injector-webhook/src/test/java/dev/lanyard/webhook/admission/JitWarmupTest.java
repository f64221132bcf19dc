package dev.lanyard.webhook.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.PodInjector;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JitWarmupTest {
  private final PodInjector injector = new PodInjector(InjectorConfigLoader.defaults());

  @Test
  void theBuiltInPodIsInjectedWithTheJavaagentAndTheSidecar() {
    WebhookMetrics metrics = new WebhookMetrics();
    AdmissionHandler handler = new AdmissionHandler(injector, metrics, InjectionEvents.NONE);

    HttpReply reply = handler.handle("application/json", JitWarmup.builtInReview());

    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = Reviews.response(reply);
    assertThat(response.path("allowed").asBoolean()).isTrue();
    // Both injection paths are exercised, so both are compiled before the first real call.
    assertThat(Reviews.patch(reply).toString())
        .contains("-javaagent:/lanyard/javaagent.jar")
        .contains("lanyard-sidecar");
  }

  @Test
  void runsTheRequestedNumberOfAdmissionsAndReportsThePodInjected() {
    JitWarmup.Result result = new JitWarmup(injector).run(25, Duration.ofMinutes(1));

    assertThat(result.admissions()).isEqualTo(25);
    assertThat(result.injected()).isTrue();
  }

  @Test
  void underACeilingTheBuiltInPodStaysWithinItAndIsStillInjected() {
    PodInjector ceiled =
        new PodInjector(
            InjectorConfigLoader.fromYaml(
                "ceiling", "ceiling: {allowedPeers: \"spiffe://example.org/ns/prod/**\"}"));

    JitWarmup.Result result = new JitWarmup(ceiled).run(5, Duration.ofMinutes(1));

    assertThat(result.admissions()).isEqualTo(5);
    assertThat(result.injected()).as("the warm-up pod was refused by the ceiling").isTrue();
  }

  @Test
  void stopsAtTheTimeBudget() {
    AtomicLong clock = new AtomicLong();
    WebhookMetrics metrics = new WebhookMetrics();
    // The clock moves half a second at every reading: the budget check before each admission
    // reads 0.5, 1.0, ... 2.5 s (five admissions), then 3.0 s ends the warm-up.
    AdmissionHandler handler = new AdmissionHandler(injector, metrics, InjectionEvents.NONE);
    JitWarmup warmup =
        new JitWarmup(handler, JitWarmup.builtInReview(), () -> clock.getAndAdd(500_000_000L));

    JitWarmup.Result result = warmup.run(1000, Duration.ofSeconds(3));

    assertThat(result.admissions()).isEqualTo(5);
    assertThat(result.took()).isEqualTo(Duration.ofMillis(3500));
  }
}
