package dev.lanyard.webhook.admission;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The parts of an AdmissionReview v1 request the webhook reads.
 *
 * @param object {@code request.object}, missing for DELETE
 */
record AdmissionRequestView(
    String uid,
    String group,
    String version,
    String kind,
    String resource,
    String subResource,
    String operation,
    String namespace,
    boolean dryRun,
    JsonNode object) {

  /** A CREATE of a core/v1 Pod itself (not a subresource such as ephemeralcontainers). */
  boolean isPodCreate() {
    return group.isEmpty()
        && "v1".equals(version)
        && "Pod".equals(kind)
        && subResource.isEmpty()
        && "CREATE".equals(operation);
  }
}
