package dev.lanyard.webhook.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.webhook.inject.InjectionResult;
import dev.lanyard.webhook.inject.JsonPatches;
import dev.lanyard.webhook.inject.KubeJson;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.inject.RequestContext;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Locale;
import java.util.Optional;

/**
 * Injects the pod (template) of any manifest that has one, the way the webhook would inject the
 * pods created from it, and leaves everything else in the manifest exactly as written: the change
 * is computed on the pod and applied as a patch to the template, so fields Lanyard does not model,
 * and the order of keys, survive.
 */
public final class ManifestInjector {
  private final PodInjector injector;

  public ManifestInjector(PodInjector injector) {
    this.injector = injector;
  }

  /**
   * @param defaultNamespace used when the manifest names none (as {@code kubectl -n} would)
   */
  public ManifestResult inject(JsonNode manifest, String defaultNamespace) {
    String kind = manifest.path("kind").asText("");
    String displayName =
        (kind.isEmpty() ? "object" : kind.toLowerCase(Locale.ROOT)) + "/" + nameOf(manifest);
    Optional<WorkloadKind> workload = WorkloadKind.of(kind);
    if (workload.isEmpty() || !manifest.isObject()) {
      return new ManifestResult(manifest, displayName, Optional.empty());
    }
    JsonNode template = manifest.at(workload.get().template());
    if (!template.isObject()) {
      return new ManifestResult(manifest, displayName, Optional.empty());
    }
    String namespace = manifest.path("metadata").path("namespace").asText("");
    RequestContext request = RequestContext.of(namespace.isEmpty() ? defaultNamespace : namespace);

    ObjectNode podTree = asPod(template);
    InjectionResult result = injector.inject(KubeJson.fromTree(podTree, Pod.class), request);
    if (!result.report().injected()) {
      return new ManifestResult(manifest, displayName, Optional.of(result.report()));
    }
    JsonNode patch = JsonPatches.diff(KubeJson.fromTree(podTree, Pod.class), result.pod());
    JsonNode injectedPod = JsonPatches.apply(patch, podTree);
    return new ManifestResult(
        replaceTemplate(manifest, workload.get(), injectedPod),
        displayName,
        Optional.of(result.report()));
  }

  private static String nameOf(JsonNode manifest) {
    JsonNode meta = manifest.path("metadata");
    if (meta.hasNonNull("name")) {
      return meta.get("name").asText();
    }
    return meta.hasNonNull("generateName") ? meta.get("generateName").asText() + "*" : "<unnamed>";
  }

  /** A Pod made of a template (the template itself, for a Pod). */
  private static ObjectNode asPod(JsonNode template) {
    ObjectNode pod = template.deepCopy();
    if (!pod.has("apiVersion")) {
      ObjectNode wrapped = JsonNodeFactory.instance.objectNode();
      wrapped.put("apiVersion", "v1");
      wrapped.put("kind", "Pod");
      wrapped.setAll(pod);
      return wrapped;
    }
    return pod;
  }

  private static JsonNode replaceTemplate(
      JsonNode manifest, WorkloadKind kind, JsonNode injectedPod) {
    if (kind == WorkloadKind.POD) {
      return injectedPod;
    }
    ObjectNode copy = manifest.deepCopy();
    ObjectNode template = (ObjectNode) copy.at(kind.template());
    template.set("metadata", injectedPod.get("metadata"));
    template.set("spec", injectedPod.get("spec"));
    return copy;
  }
}
