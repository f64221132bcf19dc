package dev.lanyard.demo.workloads;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The orchestrator workload. {@code POST /assess {"text": "..."}} (plain HTTP, the pipeline's front
 * door) runs the pipeline over mTLS: classifier, confidence scorer, validator, then the notifier,
 * and answers with every step's result and the SPIFFE ID of the workload that answered it.
 *
 * <p>{@code POST /ask-llm {"text": "..."}} makes the orchestrator call the LLM gateway itself,
 * which the gateway's policy does not allow: the answer is a 502 carrying the handshake failure.
 *
 * <p>{@code POST /notify-without-jwt {"text": "..."}} calls the notifier by its full DNS name
 * ({@code NOTIFIER_FQDN_URL}), which the orchestrator's {@code lanyard.dev/jwt-audiences} glob does
 * not name: mutual TLS succeeds, but no JWT-SVID is sent, so the notifier's sidecar answers 401 and
 * the answer is a 502 carrying it.
 */
public final class Orchestrator {
  private final Map<String, String> urls;
  private final MeshClient client = new MeshClient();

  Orchestrator(Map<String, String> urls) {
    this.urls = urls;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> urls = new LinkedHashMap<>();
    for (String name : List.of("CLASSIFIER_URL", "SCORER_URL", "VALIDATOR_URL", "NOTIFIER_URL",
        "NOTIFIER_FQDN_URL", "LLM_GATEWAY_URL")) {
      urls.put(name, JsonServer.requireEnv(name));
    }
    Orchestrator orchestrator = new Orchestrator(urls);
    JsonServer.http(JsonServer.envPort("PORT", 8080))
        .post("/assess", orchestrator::assess)
        .post("/ask-llm", orchestrator::askLlm)
        .post("/notify-without-jwt", orchestrator::notifyWithoutJwt)
        .start("orchestrator");
  }

  Map<String, Object> assess(JsonServer.Request request) throws Exception {
    String text = request.requireText("text");
    List<Map<String, Object>> steps = new ArrayList<>();

    Step classify = analyze("classify", "CLASSIFIER_URL", text, Map.of());
    steps.add(classify.summary);
    Step score = analyze("score", "SCORER_URL", text,
        Json.object("classification", classify.result()));
    steps.add(score.summary);
    Step validate = analyze("validate", "VALIDATOR_URL", text,
        Json.object("classification", classify.result(), "confidence", score.result()));
    steps.add(validate.summary);

    Map<String, Object> verdict = Json.object(
        "severity", classify.result().get("severity"),
        "category", classify.result().get("category"),
        "confidence", score.result().get("confidence"),
        "valid", validate.result().get("valid"),
        "actions", validate.result().get("actions"));
    MeshClient.Reply notified = call("notify", "NOTIFIER_URL", "/notify",
        Json.object("text", text, "verdict", verdict));
    steps.add(Json.object(
        "step", "notify",
        "workload", Json.string(notified.body(), "workload", "notifier"),
        "spiffe_id", notified.peerId(),
        "caller_seen", Json.string(notified.body(), "caller", SpiffeIds.NONE),
        // The subject of the JWT-SVID the notifier's sidecar verified (null: none was checked).
        "jwt_subject", notified.body().get("jwt_subject"),
        "result", Json.object("ticket", notified.body().get("ticket"))));
    verdict.put("ticket", notified.body().get("ticket"));

    return Json.object(
        "text", text,
        "orchestrator", notified.ownId(),
        "steps", steps,
        "verdict", verdict);
  }

  Map<String, Object> askLlm(JsonServer.Request request) throws Exception {
    String text = request.requireText("text");
    Map<String, Object> chat = Json.object("model", "default", "messages", List.of(
        Json.object("role", "system", "content", "Task: classify."),
        Json.object("role", "user", "content", "Event: " + text)));
    MeshClient.Reply reply = call("ask-llm", "LLM_GATEWAY_URL", "/v1/chat/completions", chat);
    return Json.object("llm_gateway", reply.peerId(), "answer", reply.body());
  }

  Map<String, Object> notifyWithoutJwt(JsonServer.Request request) throws Exception {
    String text = request.requireText("text");
    MeshClient.Reply reply = call("notify-without-jwt", "NOTIFIER_FQDN_URL", "/notify",
        Json.object("text", text, "verdict", Map.of()));
    return Json.object("notifier", reply.peerId(), "answer", reply.body());
  }

  private record Step(Map<String, Object> summary) {
    Map<String, Object> result() {
      return Json.child(summary, "result");
    }
  }

  private Step analyze(String step, String urlKey, String text, Map<String, Object> context)
      throws InterruptedException {
    MeshClient.Reply reply = call(step, urlKey, "/analyze",
        Json.object("text", text, "context", context));
    Map<String, Object> body = reply.body();
    return new Step(Json.object(
        "step", step,
        "workload", Json.string(body, "workload", "?"),
        // What the TLS handshake verified; the workload's own claim must agree.
        "spiffe_id", reply.peerId(),
        "reported_spiffe_id", Json.string(body, "spiffe_id", SpiffeIds.NONE),
        "caller_seen", Json.string(body, "caller", SpiffeIds.NONE),
        "result", Json.child(body, "result"),
        "llm", Json.child(body, "llm")));
  }

  private MeshClient.Reply call(String step, String urlKey, String path, Map<String, Object> body)
      throws InterruptedException {
    String url = urls.get(urlKey) + path;
    MeshClient.Reply reply;
    try {
      reply = client.post(url, body);
    } catch (IOException e) {
      throw new JsonServer.UpstreamFailure(
          "step " + step + ": the call to " + url + " failed: " + MeshClient.describe(e));
    }
    if (reply.status() != 200) {
      throw new JsonServer.UpstreamFailure("step " + step + ": " + url + " answered "
          + reply.status() + ": " + Json.write(reply.body()));
    }
    return reply;
  }
}
