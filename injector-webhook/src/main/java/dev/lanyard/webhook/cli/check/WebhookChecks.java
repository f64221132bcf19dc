package dev.lanyard.webhook.cli.check;

/**
 * The webhook as the API server sees it: its Deployment ready, and an admission call through its
 * Service answered (a server-side dry-run pod create in a labelled namespace, which takes the same
 * path as every real pod: API server, Service, webhook, TLS with the caBundle).
 */
public final class WebhookChecks {
  private WebhookChecks() {}

  /**
   * @param replicas the Deployment's spec.replicas, null when the Deployment is missing
   */
  public static CheckResult deployment(
      String namespace, String name, Integer replicas, Integer readyReplicas) {
    String subject = "webhook Deployment " + namespace + "/" + name;
    if (replicas == null) {
      return CheckResult.fail(
          subject,
          "not found",
          "install or repair the chart (helm upgrade --install lanyard charts/lanyard -n "
              + namespace
              + ")");
    }
    int ready = readyReplicas == null ? 0 : readyReplicas;
    if (replicas == 0 || ready < replicas) {
      return CheckResult.fail(
          subject,
          ready + " of " + replicas + " replicas ready",
          "kubectl -n "
              + namespace
              + " describe deployment "
              + name
              + "; kubectl -n "
              + namespace
              + " logs deployment/"
              + name);
    }
    return CheckResult.pass(subject + " is ready (" + ready + "/" + replicas + ")");
  }

  /** No namespace carries the injection label: nothing can be injected, nor probed. */
  public static CheckResult admissionWithoutNamespace(String labelKey, String labelValue) {
    return CheckResult.fail(
        "webhook reachable from the API server",
        "no namespace is labelled " + labelKey + "=" + labelValue + ", so no pod is sent to it",
        "kubectl label namespace <your-namespace> " + labelKey + "=" + labelValue);
  }

  /**
   * @param serviceNamespace the webhook Service's namespace (the installation's)
   * @param service the webhook Service's name (and its Deployment's)
   * @param injected whether the dry-run pod came back with {@code lanyard.dev/status}
   * @param error the API server's refusal, null when it admitted the pod
   */
  public static CheckResult admission(
      String namespace, String serviceNamespace, String service, boolean injected, String error) {
    String subject = "webhook reachable from the API server";
    String logs = "; kubectl -n " + serviceNamespace + " logs deployment/" + service;
    if (error != null) {
      return CheckResult.fail(
          subject,
          "a dry-run pod in namespace " + namespace + " was refused: " + error,
          "check that Service " + serviceNamespace + "/" + service
              + " has ready endpoints (kubectl -n " + serviceNamespace
              + " get endpointslices) and that the caBundle matches the serving certificate"
              + logs);
    }
    if (!injected) {
      return CheckResult.fail(
          subject,
          "a dry-run pod in namespace " + namespace + " came back without lanyard.dev/status",
          "check the MutatingWebhookConfiguration's namespaceSelector and objectSelector"
              + " (kubectl get mutatingwebhookconfigurations -o yaml)" + logs);
    }
    return CheckResult.pass(
        subject + " (Service " + serviceNamespace + "/" + service + "): a dry-run pod in "
            + namespace + " came back injected");
  }
}
