package dev.lanyard.webhook.admission;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.reasons.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** AdmissionReview v1 in and out, with messages that say what was wrong with a request. */
final class AdmissionReviews {
  static final String API_VERSION = "admission.k8s.io/v1";
  static final String KIND = "AdmissionReview";

  /** Deep enough for any pod; a bomb of nested arrays stops here instead of in the stack. */
  private static final int MAX_NESTING = 200;

  private static final ObjectMapper JSON =
      new ObjectMapper(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  private AdmissionReviews() {}

  static AdmissionRequestView parse(byte[] body) throws BadAdmissionRequest {
    requireUtf8(body);
    JsonNode review;
    try {
      review = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw new BadAdmissionRequest(
          Reason.MALFORMED_JSON,
          "request body is not valid JSON" + where + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadAdmissionRequest(
          Reason.MALFORMED_JSON, "request body cannot be read as JSON: " + e.getMessage());
    }
    if (review == null || !review.isObject()) {
      throw new BadAdmissionRequest(
          Reason.NOT_ADMISSION_REVIEW,
          "request body must be a JSON object"
              + " (an AdmissionReview "
              + API_VERSION
              + "), not "
              + describe(review));
    }
    String apiVersion = text(review, "apiVersion");
    String kind = text(review, "kind");
    if (!API_VERSION.equals(apiVersion) || !KIND.equals(kind)) {
      throw new BadAdmissionRequest(
          Reason.NOT_ADMISSION_REVIEW,
          "expected apiVersion "
              + API_VERSION
              + " and kind "
              + KIND
              + ", got apiVersion \""
              + apiVersion
              + "\" and kind \""
              + kind
              + "\"; register the webhook with admissionReviewVersions: [v1]");
    }
    JsonNode request = review.get("request");
    if (request == null || !request.isObject()) {
      throw new BadAdmissionRequest(Reason.MISSING_REQUEST, "AdmissionReview has no request object");
    }
    String uid = text(request, "uid");
    if (uid.isEmpty()) {
      throw new BadAdmissionRequest(
          Reason.MISSING_UID, "AdmissionReview request has no uid (a non-empty string)");
    }
    JsonNode gvk = request.path("kind");
    JsonNode object = request.path("object");
    return new AdmissionRequestView(
        uid,
        text(gvk, "group"),
        text(gvk, "version"),
        text(gvk, "kind"),
        text(request.path("resource"), "resource"),
        text(request, "subResource"),
        text(request, "operation"),
        text(request, "namespace"),
        request.path("dryRun").asBoolean(false),
        object);
  }

  /**
   * JSON is UTF-8 (RFC 8259). Checked up front because Jackson's parser, once it has seen a field
   * name, recognises the same name again without re-validating its bytes (found by the fuzz test).
   */
  private static void requireUtf8(byte[] body) throws BadAdmissionRequest {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer bytes = ByteBuffer.wrap(body);
    CoderResult result = decoder.decode(bytes, CharBuffer.allocate(body.length), true);
    if (result.isError()) {
      throw new BadAdmissionRequest(
          Reason.MALFORMED_JSON,
          "request body is not UTF-8: invalid byte 0x"
              + String.format("%02x", body[bytes.position()] & 0xff)
              + " at offset "
              + bytes.position());
    }
  }

  /** Allowed, with an optional JSON Patch and warnings. */
  static byte[] allowed(String uid, JsonNode patch, List<String> warnings) {
    ObjectNode response = JsonNodeFactory.instance.objectNode();
    response.put("uid", uid);
    response.put("allowed", true);
    if (patch != null && patch.isArray() && !patch.isEmpty()) {
      response.put("patchType", "JSONPatch");
      response.put("patch", Base64.getEncoder().encodeToString(bytes(patch)));
    }
    return review(response, warnings);
  }

  /**
   * Denied: the apiserver refuses the request with {@code code} and shows {@code message} to
   * whoever sent it ({@code admission webhook "..." denied the request: <message>}).
   */
  static byte[] denied(String uid, int code, String message, List<String> warnings) {
    ObjectNode response = JsonNodeFactory.instance.objectNode();
    response.put("uid", uid);
    response.put("allowed", false);
    ObjectNode status = response.putObject("status");
    status.put("code", code);
    status.put("reason", code == 403 ? "Forbidden" : "BadRequest");
    status.put("message", message);
    return review(response, warnings);
  }

  /** The AdmissionReview around {@code response}, with its warnings (if any). */
  private static byte[] review(ObjectNode response, List<String> warnings) {
    if (!warnings.isEmpty()) {
      ArrayNode array = response.putArray("warnings");
      warnings.forEach(array::add);
    }
    ObjectNode review = JsonNodeFactory.instance.objectNode();
    review.put("apiVersion", API_VERSION);
    review.put("kind", KIND);
    review.set("response", response);
    return bytes(review);
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }

  /** A field's text, or "" when absent or not a string. */
  private static String text(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    return value != null && value.isTextual() ? value.asText() : "";
  }

  private static String describe(JsonNode node) {
    return node == null ? "an empty body" : "a JSON " + node.getNodeType().name().toLowerCase();
  }
}
