package dev.lanyard.demo.workloads;

import java.util.List;
import java.util.Map;

/**
 * What the classifier, the confidence scorer and the validator share: {@code POST /analyze
 * {"text": ..., "context": {...}}} asks the LLM gateway one chat completion (OpenAI's wire format)
 * and answers with the model's JSON, who this service is, who called it, and who answered it.
 */
final class AnalysisWorkload {
  private final String name;
  private final String task;
  private final String instructions;
  private final String gatewayUrl;
  private final MeshClient client = new MeshClient();

  AnalysisWorkload(String name, String task, String instructions, String gatewayUrl) {
    this.name = name;
    this.task = task;
    this.instructions = instructions;
    this.gatewayUrl = gatewayUrl;
  }

  /** Reads PORT and LLM_GATEWAY_URL and serves until the JVM stops. */
  static void serve(String name, String task, String instructions) throws Exception {
    AnalysisWorkload workload = new AnalysisWorkload(name, task, instructions,
        JsonServer.requireEnv("LLM_GATEWAY_URL"));
    JsonServer.https(JsonServer.envPort("PORT", 8443))
        .post("/analyze", workload::analyze)
        .start(name);
  }

  Map<String, Object> analyze(JsonServer.Request request) throws Exception {
    String text = request.requireText("text");
    Map<String, Object> context = Json.child(request.body(), "context");
    Map<String, Object> chat = Json.object(
        "model", "default",
        "messages", List.of(
            Json.object("role", "system", "content", "Task: " + task + ". " + instructions),
            Json.object("role", "user", "content",
                "Event: " + text + (context.isEmpty() ? "" : "\nContext: " + Json.write(context)))));
    MeshClient.Reply reply;
    try {
      reply = client.post(gatewayUrl + "/v1/chat/completions", chat);
    } catch (java.io.IOException e) {
      throw new JsonServer.UpstreamFailure(name + " could not reach the LLM gateway at " + gatewayUrl
          + ": " + MeshClient.describe(e));
    }
    if (reply.status() != 200) {
      throw new JsonServer.UpstreamFailure("the LLM gateway answered " + reply.status() + ": "
          + Json.write(reply.body()));
    }
    Map<String, Object> gateway = Json.child(reply.body(), "lanyard_demo");
    return Json.object(
        "workload", name,
        "spiffe_id", request.ownId(),
        "caller", request.callerId(),
        "result", modelAnswer(reply.body()),
        "llm", Json.object(
            "spiffe_id", reply.peerId(),
            "caller_seen", Json.string(gateway, "caller", SpiffeIds.NONE),
            "model", Json.string(reply.body(), "model", "?")));
  }

  /** The first choice's content, parsed as the JSON object the prompt asked for when it is one. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> modelAnswer(Map<String, Object> completion) {
    Object choices = completion.get("choices");
    if (!(choices instanceof List<?> list) || list.isEmpty() || !(list.get(0) instanceof Map)) {
      return Json.object("raw", Json.write(completion));
    }
    String content = Json.string(Json.child((Map<String, Object>) list.get(0), "message"),
        "content", "");
    // Real models like to wrap JSON in a Markdown fence.
    String stripped = content.strip().replaceAll("^```(?:json)?\\s*", "").replaceAll("\\s*```$", "");
    try {
      return Json.parseObject(stripped);
    } catch (IllegalArgumentException e) {
      return Json.object("raw", content);
    }
  }
}
