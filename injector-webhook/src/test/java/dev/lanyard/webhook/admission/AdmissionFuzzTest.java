package dev.lanyard.webhook.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.webhook.inject.JsonPatches;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.inject.TestPods;
import java.io.IOException;
import java.util.Base64;

/**
 * Arbitrary bytes as an AdmissionReview: the handler must never throw, never answer 500, and always
 * answer either a well-formed AdmissionReview response for the request's uid (whose patch, if any,
 * applies to the request's object) or a 400/415 with a message and no stack trace.
 *
 * <p>{@code mvn verify} replays the committed corpus in {@code AdmissionFuzzTestInputs/} (Jazzer's
 * regression mode). To fuzz: {@code JAZZER_FUZZ=1 ./mvnw -pl injector-webhook test
 * -Dtest=AdmissionFuzzTest -Djazzer.hooks=true}; crashing inputs land in that directory.
 */
class AdmissionFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final WebhookMetrics METRICS = new WebhookMetrics();
  private static final AdmissionHandler HANDLER =
      new AdmissionHandler(new PodInjector(TestPods.config()), METRICS, InjectionEvents.NONE);

  @FuzzTest(maxDuration = "60s")
  void admissionReviewBytes(byte[] body) throws IOException {
    double errorsBefore = METRICS.admissions(WebhookMetrics.ERROR, "internal_error");
    HttpReply reply = HANDLER.handle("application/json", body);

    // The handler survives a bug in injection (allowing the pod uninjected); the fuzzer must not.
    assertThat(METRICS.admissions(WebhookMetrics.ERROR, "internal_error"))
        .as("injection threw")
        .isEqualTo(errorsBefore);

    assertThat(reply.status()).isIn(200, 400, 415);
    if (reply.status() != 200) {
      assertThat(reply.contentType()).startsWith("text/plain");
      assertThat(reply.bodyText())
          .isNotBlank()
          .doesNotContain("\tat ")
          .doesNotContain("Exception:");
      return;
    }
    JsonNode review = JSON.readTree(reply.body());
    assertThat(review.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(review.path("kind").asText()).isEqualTo("AdmissionReview");
    JsonNode response = review.path("response");
    JsonNode request = JSON.readTree(body).path("request");
    assertThat(response.path("uid").asText()).isNotEmpty().isEqualTo(request.path("uid").asText());
    assertThat(response.path("allowed").isBoolean()).isTrue();
    if (response.has("patch")) {
      assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
      JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
      assertThat(patch.isArray()).isTrue();
      JsonPatches.apply(patch, request.path("object"));
    }
  }
}
