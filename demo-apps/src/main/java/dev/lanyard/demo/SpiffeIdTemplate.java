package dev.lanyard.demo;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a ClusterSPIFFEID's {@code spiffeIDTemplate} the way spire-controller-manager does, for
 * the three fields the demo's template uses. Any other field is an error rather than a guess, so
 * the local IDs can never drift from what the cluster would issue.
 */
final class SpiffeIdTemplate {
  private static final Pattern FIELD = Pattern.compile("\\{\\{\\s*\\.([A-Za-z.]+)\\s*}}");

  private final String template;

  SpiffeIdTemplate(String template) {
    this.template = template;
  }

  String render(String trustDomain, String namespace, String serviceAccount) {
    Map<String, String> values = Map.of(
        "TrustDomain", trustDomain,
        "PodMeta.Namespace", namespace,
        "PodSpec.ServiceAccountName", serviceAccount);
    Matcher matcher = FIELD.matcher(template);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String value = values.get(matcher.group(1));
      if (value == null) {
        throw new IllegalArgumentException("spiffeIDTemplate field ." + matcher.group(1)
            + " is not supported by the local demo (it knows " + values.keySet() + ")");
      }
      matcher.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(out);
    String id = out.toString();
    if (id.contains("{{")) {
      throw new IllegalArgumentException("cannot render spiffeIDTemplate " + template);
    }
    return id;
  }
}
