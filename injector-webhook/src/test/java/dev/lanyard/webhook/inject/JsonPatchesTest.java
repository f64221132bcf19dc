package dev.lanyard.webhook.inject;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

class JsonPatchesTest {
  @Test
  void thePatchOfAnInjectionTurnsTheOriginalIntoTheInjectedPod() {
    Pod original =
        TestPods.pod(
            "mixed",
            TestPods.container("jvm", "eclipse-temurin:21"),
            TestPods.container("py", "python:3"));
    original
        .getMetadata()
        .setAnnotations(new java.util.HashMap<>(java.util.Map.of("team", "search")));
    Pod injected =
        new PodInjector(TestPods.config()).inject(original, RequestContext.of("apps")).pod();

    JsonNode patch = JsonPatches.diff(original, injected);

    assertThat(JsonPatches.apply(patch, KubeJson.tree(original)))
        .isEqualTo(KubeJson.tree(injected));
    assertThat(patch)
        .allSatisfy(op -> assertThat(op.get("op").asText()).isIn("add", "remove", "replace"));
    assertThat(patch.toString()).contains("/metadata/annotations/lanyard.dev~1status");
  }

  @Test
  void noChangeIsAnEmptyPatch() {
    Pod pod = TestPods.jvmPod();

    assertThat(JsonPatches.diff(pod, KubeJson.serialization().clone(pod))).isEmpty();
  }
}
