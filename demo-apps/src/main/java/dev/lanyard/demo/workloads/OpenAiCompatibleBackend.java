package dev.lanyard.demo.workloads;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real OpenAI-compatible chat completions API. The call is ordinary public HTTPS: the server
 * presents a Web PKI certificate, not an SVID, and the JVM's usual trust store and host name rules
 * judge it, which is what keeps such egress working under the Lanyard javaagent.
 */
final class OpenAiCompatibleBackend implements LlmGateway.Backend {
  private final String baseUrl;
  private final String model;
  private final String apiKey;
  private final MeshClient client = new MeshClient();

  OpenAiCompatibleBackend(String baseUrl, String model, String apiKey) {
    this.baseUrl = baseUrl.replaceAll("/+$", "");
    this.model = model;
    this.apiKey = apiKey;
  }

  @Override
  public Map<String, Object> complete(Map<String, Object> chatRequest) throws Exception {
    Map<String, Object> forwarded = new LinkedHashMap<>(chatRequest);
    forwarded.put("model", model);
    MeshClient.Reply reply;
    try {
      reply = client.post(baseUrl + "/chat/completions", forwarded,
          apiKey == null || apiKey.isBlank() ? Map.of() : Map.of("Authorization", "Bearer " + apiKey));
    } catch (java.io.IOException e) {
      throw new JsonServer.UpstreamFailure("cannot reach " + baseUrl + ": " + MeshClient.describe(e));
    }
    if (reply.status() != 200) {
      throw new JsonServer.UpstreamFailure(baseUrl + " answered " + reply.status() + ": "
          + Json.write(reply.body()));
    }
    return new LinkedHashMap<>(reply.body());
  }

  @Override
  public String describe() {
    return "OpenAI-compatible API at " + baseUrl + ", model " + model;
  }
}
