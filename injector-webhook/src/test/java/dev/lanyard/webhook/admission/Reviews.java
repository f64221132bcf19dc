package dev.lanyard.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.webhook.inject.KubeJson;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** AdmissionReview requests as the apiserver sends them, and readers for the responses. */
public final class Reviews {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Reviews() {}

  public static byte[] podCreate(String uid, Pod pod, String namespace, boolean dryRun) {
    ObjectNode review = JSON.createObjectNode();
    review.put("apiVersion", "admission.k8s.io/v1");
    review.put("kind", "AdmissionReview");
    ObjectNode request = review.putObject("request");
    request.put("uid", uid);
    request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
    request.put("namespace", namespace);
    request.put("operation", "CREATE");
    request.put("dryRun", dryRun);
    request
        .putObject("userInfo")
        .put("username", "system:serviceaccount:kube-system:replicaset-controller");
    request.set("object", KubeJson.tree(pod));
    request.putObject("options").put("apiVersion", "meta.k8s.io/v1").put("kind", "CreateOptions");
    return bytes(review);
  }

  public static byte[] of(
      String kind, String group, String operation, String subResource, JsonNode object) {
    ObjectNode review = JSON.createObjectNode();
    review.put("apiVersion", "admission.k8s.io/v1");
    review.put("kind", "AdmissionReview");
    ObjectNode request = review.putObject("request");
    request.put("uid", "uid-1");
    request.putObject("kind").put("group", group).put("version", "v1").put("kind", kind);
    request.put("operation", operation);
    request.put("namespace", "apps");
    if (subResource != null) {
      request.put("subResource", subResource);
    }
    request.set("object", object);
    return bytes(review);
  }

  public static JsonNode response(HttpReply reply) {
    try {
      return JSON.readTree(reply.body()).path("response");
    } catch (IOException e) {
      throw new UncheckedIOException("the reply is not JSON: " + reply.bodyText(), e);
    }
  }

  /** The response's JSON Patch, or an empty array. */
  public static JsonNode patch(HttpReply reply) {
    JsonNode response = response(reply);
    if (!response.has("patch")) {
      return JSON.createArrayNode();
    }
    try {
      return JSON.readTree(Base64.getDecoder().decode(response.get("patch").asText()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
