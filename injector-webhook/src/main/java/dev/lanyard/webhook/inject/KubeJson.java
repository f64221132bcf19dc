package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * One fabric8 serialization for the whole module: Kubernetes objects to and from Jackson trees.
 * fabric8 keeps fields its model does not know in {@code additionalProperties}, so a pod from a
 * newer apiserver survives the round trip.
 */
public final class KubeJson {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private KubeJson() {}

  public static KubernetesSerialization serialization() {
    return SERIALIZATION;
  }

  public static JsonNode tree(Object resource) {
    return SERIALIZATION.convertValue(resource, JsonNode.class);
  }

  public static <T> T fromTree(JsonNode tree, Class<T> type) {
    return SERIALIZATION.convertValue(tree, type);
  }
}
