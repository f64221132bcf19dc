package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.flipkart.zjsonpatch.DiffFlags;
import com.flipkart.zjsonpatch.JsonDiff;
import com.flipkart.zjsonpatch.JsonPatch;
import java.util.EnumSet;

/**
 * JSON Patches (RFC 6902) as the difference of two objects, computed by zjsonpatch rather than
 * built by hand: a hand-built path is one more place that must know what injection changed. Only
 * add, remove and replace operations: the simplest for reviewers and every apiserver.
 */
public final class JsonPatches {
  private static final EnumSet<DiffFlags> FLAGS =
      EnumSet.of(
          DiffFlags.OMIT_MOVE_OPERATION,
          DiffFlags.OMIT_COPY_OPERATION,
          DiffFlags.OMIT_VALUE_ON_REMOVE);

  private JsonPatches() {}

  /**
   * The patch turning {@code original} into {@code mutated}; both are serialized the same way
   * first.
   */
  public static JsonNode diff(Object original, Object mutated) {
    return diff(KubeJson.tree(original), KubeJson.tree(mutated));
  }

  public static JsonNode diff(JsonNode original, JsonNode mutated) {
    return JsonDiff.asJson(original, mutated, FLAGS);
  }

  /** {@code target} with {@code patch} applied (a new tree; the target is not changed). */
  public static JsonNode apply(JsonNode patch, JsonNode target) {
    return JsonPatch.apply(patch, target);
  }
}
