package dev.lanyard.webhook.cli.check;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every namespace labelled for injection has its pods registered with SPIRE: some {@code
 * ClusterSPIFFEID} (spire-controller-manager) selects the namespace, and each of its pods through
 * that one's {@code podSelector}. Without one, injected pods wait for an SVID that never comes.
 */
public final class ClusterSpiffeIdCheck {
  private ClusterSpiffeIdCheck() {}

  public record ClusterSpiffeId(String name, JsonNode namespaceSelector, JsonNode podSelector) {}

  public record PodLabels(String name, Map<String, String> labels) {}

  public record LabelledNamespace(String name, Map<String, String> labels, List<PodLabels> pods) {}

  /** The CRD is missing: nothing can register a workload the way the chart expects. */
  public static CheckResult crdMissing() {
    return CheckResult.fail(
        "ClusterSPIFFEID",
        "the API server has no clusterspiffeids.spire.spiffe.io resource",
        "install spire-controller-manager (with its CRDs), which registers pods with SPIRE from"
            + " ClusterSPIFFEIDs; the chart adds one with clusterSPIFFEID.enabled=true");
  }

  /** The CRD exists (for {@code --pre}). */
  public static CheckResult crdPresent() {
    return CheckResult.pass("ClusterSPIFFEID resource is installed (spire-controller-manager)");
  }

  /** One line per labelled namespace. */
  public static List<CheckResult> check(
      List<LabelledNamespace> namespaces, List<ClusterSpiffeId> ids, String label) {
    List<CheckResult> results = new ArrayList<>();
    if (namespaces.isEmpty()) {
      results.add(
          CheckResult.pass(
              "ClusterSPIFFEID: no namespace is labelled " + label + " yet, none is needed"));
    }
    for (LabelledNamespace namespace : namespaces) {
      results.add(check(namespace, ids));
    }
    return results;
  }

  static CheckResult check(LabelledNamespace namespace, List<ClusterSpiffeId> ids) {
    String subject = "ClusterSPIFFEID for namespace " + namespace.name();
    List<ClusterSpiffeId> selecting =
        ids.stream()
            .filter(id -> LabelSelectorMatch.matches(id.namespaceSelector(), namespace.labels()))
            .toList();
    if (selecting.isEmpty()) {
      return CheckResult.fail(
          subject,
          "no ClusterSPIFFEID's namespaceSelector selects namespace "
              + namespace.name()
              + (ids.isEmpty() ? " (there is none)" : " (of " + names(ids) + ")"),
          "install the chart with clusterSPIFFEID.enabled=true, or create a ClusterSPIFFEID"
              + " whose namespaceSelector matches the namespace's labels");
    }
    List<String> unmatched =
        namespace.pods().stream()
            .filter(
                pod ->
                    selecting.stream()
                        .noneMatch(
                            id -> LabelSelectorMatch.matches(id.podSelector(), pod.labels())))
            .map(PodLabels::name)
            .toList();
    if (!unmatched.isEmpty()) {
      return CheckResult.fail(
          subject,
          "pods "
              + String.join(", ", unmatched)
              + " match no podSelector of "
              + names(selecting),
          "relabel those pods, or widen a ClusterSPIFFEID's podSelector to include them");
    }
    return CheckResult.pass(
        subject
            + ": "
            + names(selecting)
            + " selects it and its "
            + namespace.pods().size()
            + " pod(s)");
  }

  private static String names(List<ClusterSpiffeId> ids) {
    return String.join(", ", ids.stream().map(ClusterSpiffeId::name).toList());
  }
}
