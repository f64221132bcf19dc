package dev.lanyard.webhook.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.JsonPatches;
import dev.lanyard.webhook.inject.KubeJson;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.inject.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionHandlerTest {
  private final WebhookMetrics metrics = new WebhookMetrics();
  private final List<InjectionReport> events = new ArrayList<>();
  private final AdmissionHandler handler =
      new AdmissionHandler(
          new PodInjector(TestPods.config()), metrics, (pod, report) -> events.add(report));

  @Test
  void aPodCreateIsAnsweredWithAPatchThatInjectsIt() {
    Pod pod = TestPods.jvmPod();

    HttpReply reply =
        handler.handle("application/json", Reviews.podCreate("uid-42", pod, "apps", false));

    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = Reviews.response(reply);
    assertThat(response.path("uid").asText()).isEqualTo("uid-42");
    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
    Pod patched =
        KubeJson.fromTree(JsonPatches.apply(Reviews.patch(reply), KubeJson.tree(pod)), Pod.class);
    assertThat(patched.getMetadata().getAnnotations()).containsKey("lanyard.dev/status");
    assertThat(patched.getSpec().getContainers().get(0).getEnv())
        .anySatisfy(
            env -> assertThat(env.getValue()).isEqualTo("-javaagent:/lanyard/javaagent.jar"));
    assertThat(metrics.admissions("injected", "injected")).isEqualTo(1);
    assertThat(events).hasSize(1);
  }

  @Test
  void aSkippedPodIsAllowedUnchangedWithTheReasonAsAWarning() {
    Pod pod = new PodBuilder(TestPods.jvmPod()).editSpec().withHostNetwork(true).endSpec().build();

    JsonNode response =
        Reviews.response(
            handler.handle("application/json", Reviews.podCreate("u", pod, "apps", false)));

    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(response.has("patch")).isFalse();
    assertThat(response.path("warnings").get(0).asText())
        .startsWith("lanyard: ")
        .contains("hostNetwork");
    assertThat(metrics.admissions("skipped", "host_network")).isEqualTo(1);
  }

  @Test
  void aPodOutsideTheCeilingIsDeniedWith403AndTheReason() {
    Pod audited =
        new PodBuilder(TestPods.jvmPod())
            .editMetadata()
            .addToAnnotations("lanyard.dev/allowed-peers", "audit")
            .endMetadata()
            .build();

    HttpReply reply =
        handler.handle("application/json", Reviews.podCreate("uid-7", audited, "apps", false));

    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = Reviews.response(reply);
    assertThat(response.path("uid").asText()).isEqualTo("uid-7");
    assertThat(response.path("allowed").asBoolean()).isFalse();
    assertThat(response.has("patch")).isFalse();
    assertThat(response.at("/status/code").asInt()).isEqualTo(403);
    assertThat(response.at("/status/message").asText())
        .startsWith("lanyard: pod orders refused: annotation lanyard.dev/allowed-peers has \"audit\"");
    assertThat(metrics.admissions("refused", "outside_ceiling")).isEqualTo(1);
    assertThat(events).singleElement().satisfies(report -> assertThat(report.refused()).isTrue());
  }

  @Test
  void aPodThatAsksForALanyardPortIsDeniedWithTheReasonAndAnEvent() {
    Pod pod =
        new PodBuilder(TestPods.pythonPod())
            .editMetadata()
            .addToAnnotations("lanyard.dev/inbound", "8443:15002")
            .endMetadata()
            .build();

    HttpReply reply =
        handler.handle("application/json", Reviews.podCreate("u-9", pod, "apps", false));

    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = Reviews.response(reply);
    assertThat(response.path("uid").asText()).isEqualTo("u-9");
    assertThat(response.path("allowed").asBoolean()).isFalse();
    assertThat(response.has("patch")).isFalse();
    assertThat(response.path("status").path("code").asInt()).isEqualTo(403);
    assertThat(response.path("status").path("message").asText())
        .startsWith("lanyard: pod ")
        .contains("port 15002, which is the sidecar's POST /shutdown");
    assertThat(metrics.admissions("refused", "lanyard_port")).isEqualTo(1);
    assertThat(events).singleElement().satisfies(report -> assertThat(report.refused()).isTrue());
  }

  @Test
  void dryRunsAreInjectedButRecordNoEvent() {
    HttpReply reply =
        handler.handle("application/json", Reviews.podCreate("u", TestPods.jvmPod(), "apps", true));

    assertThat(Reviews.patch(reply)).isNotEmpty();
    assertThat(events).isEmpty();
  }

  @Test
  void otherKindsSubresourcesAndOperationsAreAllowedUnchanged() {
    JsonNode object = JsonNodeFactory.instance.objectNode().put("kind", "Deployment");
    for (byte[] review :
        List.of(
            Reviews.of("Deployment", "apps", "CREATE", null, object),
            Reviews.of(
                "Pod", "", "CREATE", "ephemeralcontainers", KubeJson.tree(TestPods.jvmPod())),
            Reviews.of("Pod", "", "UPDATE", null, KubeJson.tree(TestPods.jvmPod())))) {
      HttpReply reply = handler.handle("application/json", review);
      assertThat(reply.status()).isEqualTo(200);
      assertThat(Reviews.response(reply).path("allowed").asBoolean()).isTrue();
      assertThat(Reviews.response(reply).has("patch")).isFalse();
    }
    assertThat(metrics.admissions("ignored", "not_a_pod_create")).isEqualTo(3);
  }

  @Test
  void malformedJsonIs400WithWhereAndWhy() {
    HttpReply reply =
        handler.handle("application/json", "{\"apiVersion\": ".getBytes(StandardCharsets.UTF_8));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.bodyText())
        .startsWith("request body is not valid JSON at line 1")
        .doesNotContain("Exception");
    assertThat(metrics.admissions("rejected", "malformed_json")).isEqualTo(1);
  }

  @Test
  void anotherApiVersionOrKindIs400NamingBoth() {
    HttpReply reply =
        handler.handle(
            "application/json",
            "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{}}"
                .getBytes(StandardCharsets.UTF_8));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.bodyText())
        .contains("expected apiVersion admission.k8s.io/v1")
        .contains("admission.k8s.io/v1beta1")
        .contains("admissionReviewVersions: [v1]");
  }

  @Test
  void aRequestWithoutUidIs400() {
    HttpReply reply =
        handler.handle(
            "application/json",
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"\"}}"
                .getBytes(StandardCharsets.UTF_8));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.bodyText()).contains("no uid");
  }

  @Test
  void aPodThatIsNotAPodIs400() {
    HttpReply reply =
        handler.handle(
            "application/json",
            Reviews.of(
                "Pod",
                "",
                "CREATE",
                null,
                JsonNodeFactory.instance.objectNode().put("spec", "not an object")));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.bodyText()).contains("request.object is not a Pod");
  }

  @Test
  void anythingButJsonIs415() {
    HttpReply yaml = handler.handle("application/yaml", "{}".getBytes(StandardCharsets.UTF_8));
    HttpReply none = handler.handle(null, "{}".getBytes(StandardCharsets.UTF_8));
    HttpReply withCharset =
        handler.handle("application/json; charset=utf-8", "{}".getBytes(StandardCharsets.UTF_8));

    assertThat(yaml.status()).isEqualTo(415);
    assertThat(yaml.bodyText()).contains("application/json").contains("\"application/yaml\"");
    assertThat(none.status()).isEqualTo(415);
    assertThat(withCharset.status()).as("parameters are fine").isEqualTo(400);
  }

  @Test
  void anOversizedBodyIs400WithTheLimit() {
    HttpReply reply =
        handler.handle("application/json", new byte[AdmissionHandler.MAX_BODY_BYTES + 1]);

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.bodyText()).contains("exceeds the limit of 3145728 bytes");
    assertThat(metrics.admissions("rejected", "too_large")).isEqualTo(1);
  }

  @Test
  void aBugInInjectionAllowsThePodUninjectedWithAWarning() {
    AdmissionHandler broken =
        new AdmissionHandler(
            (pod, request) -> {
              throw new IllegalStateException("bug");
            },
            metrics,
            InjectionEvents.NONE,
            System::nanoTime);

    HttpReply reply =
        broken.handle("application/json", Reviews.podCreate("u", TestPods.jvmPod(), "apps", false));

    assertThat(reply.status()).isEqualTo(200);
    JsonNode response = Reviews.response(reply);
    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(response.has("patch")).isFalse();
    assertThat(response.path("warnings").get(0).asText())
        .contains("injection failed (IllegalStateException)");
    assertThat(metrics.admissions("error", "internal_error")).isEqualTo(1);
  }

  @Test
  void aFailingEventSinkCostsNothingButTheEvent() {
    AdmissionHandler withBrokenEvents =
        new AdmissionHandler(
            new PodInjector(TestPods.config()),
            metrics,
            (pod, report) -> {
              throw new IllegalStateException("queue gone");
            });

    HttpReply reply =
        withBrokenEvents.handle(
            "application/json", Reviews.podCreate("u", TestPods.jvmPod(), "apps", false));

    assertThat(Reviews.patch(reply)).isNotEmpty();
  }
}
