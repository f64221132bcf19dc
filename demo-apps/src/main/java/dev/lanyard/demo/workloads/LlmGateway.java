package dev.lanyard.demo.workloads;

import java.util.List;
import java.util.Map;

/**
 * The LLM gateway workload: {@code POST /v1/chat/completions} in OpenAI's wire format, answered by
 * {@link LocalModel} ({@code LLM_BACKEND=local}, the default) or by a real OpenAI-compatible API
 * ({@code LLM_BACKEND=openai} with {@code LLM_BASE_URL}, {@code LLM_MODEL}, {@code LLM_API_KEY}).
 *
 * <p>It does not authorize callers itself: the pod's {@code lanyard.dev/allowed-peers} annotation
 * does, in the TLS handshake, before a request reaches this code. It only reports who called.
 */
public final class LlmGateway {
  private LlmGateway() {}

  public static void main(String[] args) throws Exception {
    Backend backend = Backend.fromEnv();
    JsonServer.https(JsonServer.envPort("PORT", 8443))
        .post("/v1/chat/completions", request -> complete(backend, request))
        .start("llm-gateway (" + backend.describe() + ")");
  }

  static Map<String, Object> complete(Backend backend, JsonServer.Request request)
      throws Exception {
    Object messages = request.body().get("messages");
    if (!(messages instanceof List<?> list) || list.isEmpty()) {
      throw new JsonServer.BadRequest("the body needs a non-empty \"messages\" array");
    }
    Map<String, Object> completion = backend.complete(request.body());
    completion.put("lanyard_demo",
        Json.object("served_by", request.ownId(), "caller", request.callerId()));
    return completion;
  }

  /** Where completions come from. */
  interface Backend {
    Map<String, Object> complete(Map<String, Object> chatRequest) throws Exception;

    String describe();

    static Backend fromEnv() {
      String kind = System.getenv().getOrDefault("LLM_BACKEND", "local").trim();
      switch (kind) {
        case "local":
        case "":
          return new LocalBackend();
        case "openai":
          return new OpenAiCompatibleBackend(JsonServer.requireEnv("LLM_BASE_URL"),
              System.getenv().getOrDefault("LLM_MODEL", "gpt-4o-mini"),
              System.getenv("LLM_API_KEY"));
        default:
          throw new IllegalArgumentException(
              "LLM_BACKEND must be local or openai, not '" + kind + "'");
      }
    }
  }

  /** {@link LocalModel}, wrapped as a chat completion. */
  static final class LocalBackend implements Backend {
    @Override
    @SuppressWarnings("unchecked")
    public Map<String, Object> complete(Map<String, Object> chatRequest) {
      String system = "";
      String user = "";
      for (Object item : (List<Object>) chatRequest.get("messages")) {
        if (item instanceof Map<?, ?> message) {
          String role = Json.string((Map<String, Object>) message, "role", "");
          String content = Json.string((Map<String, Object>) message, "content", "");
          if (role.equals("system")) {
            system = content;
          } else if (role.equals("user")) {
            user = content;
          }
        }
      }
      String event = user.lines().filter(line -> line.startsWith("Event: ")).findFirst()
          .map(line -> line.substring("Event: ".length())).orElse(user);
      Map<String, Object> answer = LocalModel.answer(LocalModel.taskOf(system), event);
      return Json.object(
          "object", "chat.completion",
          "model", LocalModel.NAME,
          "choices", List.of(Json.object(
              "index", 0,
              "message", Json.object("role", "assistant", "content", Json.write(answer)),
              "finish_reason", "stop")));
    }

    @Override
    public String describe() {
      return "local model " + LocalModel.NAME;
    }
  }
}
