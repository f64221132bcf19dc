package dev.lanyard.demo.workloads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalModelTest {
  private static final String EVENT = "Multiple failed SSH login attempts from 203.0.113.5";

  @Test
  void answersTheThreeTasksDeterministically() {
    assertThat(LocalModel.answer("classify", EVENT))
        .containsEntry("severity", "high").containsEntry("category", "credential-attack");
    assertThat(LocalModel.answer("score", EVENT)).containsEntry("confidence", 0.95);
    Map<String, Object> recommend = LocalModel.answer("recommend", EVENT);
    assertThat(recommend).containsEntry("valid", true);
    assertThat((List<?>) recommend.get("actions")).first().asString().contains("203.0.113.5");
    assertThat(LocalModel.answer("classify", "ransomware note found"))
        .containsEntry("severity", "critical");
    assertThat(LocalModel.answer("score", "something odd")).containsEntry("confidence", 0.5);
  }

  @Test
  void theTaskComesFromTheSystemPromptAndAnUnknownOneIsA400() {
    assertThat(LocalModel.taskOf("Task: score. Rate it.")).isEqualTo("score");
    assertThatThrownBy(() -> LocalModel.answer("", EVENT))
        .isInstanceOf(JsonServer.BadRequest.class).hasMessageContaining("Task: <task>");
  }

  @Test
  void theGatewayWrapsTheAnswerAsAChatCompletionTheWorkloadsParse() throws Exception {
    Map<String, Object> completion = new LlmGateway.LocalBackend().complete(Json.parseObject(
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Task: classify. JSON only\"},"
            + "{\"role\":\"user\",\"content\":\"Event: " + EVENT + "\\nContext: {}\"}]}"));

    assertThat(AnalysisWorkload.modelAnswer(completion)).containsEntry("category", "credential-attack");
    assertThat(AnalysisWorkload.modelAnswer(Json.parseObject(
        "{\"choices\":[{\"message\":{\"content\":\"```json\\n{\\\"a\\\": 1}\\n```\"}}]}")))
        .containsEntry("a", 1L);
  }
}
