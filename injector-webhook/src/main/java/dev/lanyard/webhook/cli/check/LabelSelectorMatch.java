package dev.lanyard.webhook.cli.check;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A Kubernetes label selector ({@code matchLabels}, {@code matchExpressions} with In, NotIn,
 * Exists, DoesNotExist) applied to labels. A missing selector matches everything, as
 * spire-controller-manager treats a ClusterSPIFFEID without one.
 */
public final class LabelSelectorMatch {
  private LabelSelectorMatch() {}

  public static boolean matches(JsonNode selector, Map<String, String> labels) {
    if (selector == null || selector.isMissingNode() || selector.isNull()) {
      return true;
    }
    var fields = selector.path("matchLabels").fields();
    while (fields.hasNext()) {
      var entry = fields.next();
      if (!entry.getValue().asText().equals(labels.get(entry.getKey()))) {
        return false;
      }
    }
    for (JsonNode expression : selector.path("matchExpressions")) {
      String key = expression.path("key").asText();
      Set<String> values = new HashSet<>();
      expression.path("values").forEach(value -> values.add(value.asText()));
      boolean has = labels.containsKey(key);
      boolean holds =
          switch (expression.path("operator").asText()) {
            case "In" -> has && values.contains(labels.get(key));
            case "NotIn" -> !has || !values.contains(labels.get(key));
            case "Exists" -> has;
            case "DoesNotExist" -> !has;
            default -> false; // an operator Kubernetes would have refused
          };
      if (!holds) {
        return false;
      }
    }
    return true;
  }
}
