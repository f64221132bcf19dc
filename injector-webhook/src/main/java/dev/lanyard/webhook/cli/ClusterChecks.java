package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.webhook.cli.check.CaBundleCheck;
import dev.lanyard.webhook.cli.check.CheckResult;
import dev.lanyard.webhook.cli.check.ClusterSpiffeIdCheck;
import dev.lanyard.webhook.cli.check.KubernetesVersionCheck;
import dev.lanyard.webhook.cli.check.SocketCheck;
import dev.lanyard.webhook.cli.check.SvidCheck;
import dev.lanyard.webhook.cli.check.VersionSkewCheck;
import dev.lanyard.webhook.cli.check.WebhookChecks;
import dev.lanyard.webhook.inject.InjectionStatus;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.LanyardNames;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ServiceReference;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads what {@code lanyard check} needs from the cluster (fabric8) and hands it to the pure checks
 * in {@code cli.check}; nothing here decides pass or fail.
 */
final class ClusterChecks {
  /** The name the chart gives the admission webhook inside its configuration. */
  static final String ADMISSION_WEBHOOK = "inject.lanyard.dev";

  static final String CLUSTER_SPIFFE_ID_CRD = "clusterspiffeids.spire.spiffe.io";
  static final String VERSION_LABEL = "app.kubernetes.io/version";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final Instant now;

  ClusterChecks(KubernetesClient client, Instant now) {
    this.client = client;
    this.now = now;
  }

  CheckResult kubernetesVersion() {
    VersionInfo version = client.getKubernetesVersion();
    return KubernetesVersionCheck.check(
        version.getMajor(), version.getMinor(), version.getGitVersion());
  }

  CheckResult socket(InjectorConfig.Socket socket) {
    if (socket.type() == InjectorConfig.SocketVolumeType.CSI) {
      List<String> drivers =
          client.storage().v1().csiDrivers().list().getItems().stream()
              .map(driver -> driver.getMetadata().getName())
              .sorted()
              .toList();
      return SocketCheck.csi(socket.csiDriver(), drivers);
    }
    List<SocketCheck.DaemonSetFacts> daemonSets = new ArrayList<>();
    for (DaemonSet ds : client.apps().daemonSets().inAnyNamespace().list().getItems()) {
      List<String> hostPaths =
          ds.getSpec().getTemplate().getSpec().getVolumes() == null
              ? List.of()
              : ds.getSpec().getTemplate().getSpec().getVolumes().stream()
                  .map(Volume::getHostPath)
                  .filter(Objects::nonNull)
                  .map(path -> path.getPath())
                  .toList();
      var status = ds.getStatus();
      daemonSets.add(
          new SocketCheck.DaemonSetFacts(
              ds.getMetadata().getNamespace(),
              ds.getMetadata().getName(),
              hostPaths,
              status == null || status.getDesiredNumberScheduled() == null
                  ? 0
                  : status.getDesiredNumberScheduled(),
              status == null || status.getNumberReady() == null ? 0 : status.getNumberReady()));
    }
    return SocketCheck.hostPath(socket.hostPath(), daemonSets);
  }

  boolean clusterSpiffeIdCrdInstalled() {
    return client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(CLUSTER_SPIFFE_ID_CRD)
            .get()
        != null;
  }

  /** The namespaces the webhook injects: labelled, neither a system one nor its own. */
  List<Namespace> labelledNamespaces(InjectorConfig config) {
    return client
        .namespaces()
        .withLabel(config.namespaceLabel().key(), config.namespaceLabel().value())
        .list()
        .getItems()
        .stream()
        .filter(ns -> !InjectorConfig.SYSTEM_NAMESPACES.contains(ns.getMetadata().getName()))
        .filter(ns -> !ns.getMetadata().getName().equals(config.webhookNamespace()))
        .sorted(Comparator.comparing(ns -> ns.getMetadata().getName()))
        .toList();
  }

  List<CheckResult> clusterSpiffeIds(InjectorConfig config, List<Namespace> labelled) {
    if (!clusterSpiffeIdCrdInstalled()) {
      return List.of(ClusterSpiffeIdCheck.crdMissing());
    }
    List<ClusterSpiffeIdCheck.ClusterSpiffeId> ids = new ArrayList<>();
    for (GenericKubernetesResource id :
        client.genericKubernetesResources("spire.spiffe.io/v1alpha1", "ClusterSPIFFEID")
            .list()
            .getItems()) {
      JsonNode spec = JSON.valueToTree(id.getAdditionalProperties().get("spec"));
      ids.add(
          new ClusterSpiffeIdCheck.ClusterSpiffeId(
              id.getMetadata().getName(),
              spec.path("namespaceSelector"),
              spec.path("podSelector")));
    }
    List<ClusterSpiffeIdCheck.LabelledNamespace> namespaces = new ArrayList<>();
    for (Namespace ns : labelled) {
      String name = ns.getMetadata().getName();
      List<ClusterSpiffeIdCheck.PodLabels> pods =
          client.pods().inNamespace(name).list().getItems().stream()
              .map(
                  pod ->
                      new ClusterSpiffeIdCheck.PodLabels(
                          pod.getMetadata().getName(), labels(pod.getMetadata().getLabels())))
              .toList();
      namespaces.add(
          new ClusterSpiffeIdCheck.LabelledNamespace(
              name, labels(ns.getMetadata().getLabels()), pods));
    }
    InjectorConfig.NamespaceLabel label = config.namespaceLabel();
    return ClusterSpiffeIdCheck.check(namespaces, ids, label.key() + "=" + label.value());
  }

  CheckResult deployment(LanyardInstall install) {
    Deployment deployment = webhookDeployment(install);
    return WebhookChecks.deployment(
        install.namespace(),
        install.name(),
        deployment == null ? null : replicas(deployment),
        deployment == null || deployment.getStatus() == null
            ? null
            : deployment.getStatus().getReadyReplicas());
  }

  private static int replicas(Deployment deployment) {
    Integer replicas = deployment.getSpec().getReplicas();
    return replicas == null ? 1 : replicas;
  }

  Deployment webhookDeployment(LanyardInstall install) {
    return client
        .apps()
        .deployments()
        .inNamespace(install.namespace())
        .withName(install.name())
        .get();
  }

  /**
   * A server-side dry-run pod in the first labelled namespace: the API server calls the webhook
   * through its Service exactly as for a real pod, and nothing is stored.
   */
  CheckResult admission(LanyardInstall install, InjectorConfig config, List<Namespace> labelled) {
    InjectorConfig.NamespaceLabel label = config.namespaceLabel();
    if (labelled.isEmpty()) {
      return WebhookChecks.admissionWithoutNamespace(label.key(), label.value());
    }
    String namespace = labelled.get(0).getMetadata().getName();
    try {
      Pod answered = client.pods().inNamespace(namespace).resource(probePod()).dryRun().create();
      Map<String, String> annotations = answered.getMetadata().getAnnotations();
      boolean injected = annotations != null && annotations.containsKey(LanyardNames.STATUS);
      return WebhookChecks.admission(
          namespace, install.namespace(), install.name(), injected, null);
    } catch (KubernetesClientException e) {
      String message =
          e.getStatus() != null && e.getStatus().getMessage() != null
              ? e.getStatus().getMessage()
              : e.getMessage();
      return WebhookChecks.admission(
          namespace, install.namespace(), install.name(), false, message);
    }
  }

  /** A pod as small as the webhook injects: one container of a JVM image. */
  static Pod probePod() {
    return new PodBuilder()
        .withNewMetadata()
        .withGenerateName("lanyard-check-")
        .addToLabels("app.kubernetes.io/name", "lanyard-check")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("check")
        .withImage("eclipse-temurin:21")
        .endContainer()
        .endSpec()
        .build();
  }

  /**
   * One line per admission webhook that sends pods to this installation: named {@code
   * inject.lanyard.dev} and pointing at its Service (or at a URL, as in development).
   */
  List<CheckResult> caBundles(LanyardInstall install, Duration minRemaining) {
    List<CheckResult> results = new ArrayList<>();
    for (MutatingWebhookConfiguration configuration :
        client.admissionRegistration().v1().mutatingWebhookConfigurations().list().getItems()) {
      for (MutatingWebhook webhook : configuration.getWebhooks()) {
        if (!ADMISSION_WEBHOOK.equals(webhook.getName()) || !pointsAt(webhook, install)) {
          continue;
        }
        String encoded =
            webhook.getClientConfig() == null ? null : webhook.getClientConfig().getCaBundle();
        byte[] pem;
        try {
          pem = encoded == null ? new byte[0] : Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
          pem = "not base64".getBytes(StandardCharsets.US_ASCII);
        }
        results.add(
            CaBundleCheck.check(
                "MutatingWebhookConfiguration "
                    + configuration.getMetadata().getName()
                    + ", webhook "
                    + webhook.getName(),
                pem,
                now,
                minRemaining));
      }
    }
    if (results.isEmpty()) {
      results.add(
          CheckResult.fail(
              "MutatingWebhookConfiguration",
              "none has a webhook "
                  + ADMISSION_WEBHOOK
                  + " calling Service "
                  + install.namespace()
                  + "/"
                  + install.name()
                  + ", so no pod is injected",
              "reinstall the chart (helm upgrade --install lanyard charts/lanyard -n "
                  + install.namespace()
                  + ")"));
    }
    return results;
  }

  private static boolean pointsAt(MutatingWebhook webhook, LanyardInstall install) {
    ServiceReference service =
        webhook.getClientConfig() == null ? null : webhook.getClientConfig().getService();
    return service == null
        || (install.namespace().equals(service.getNamespace())
            && install.name().equals(service.getName()));
  }

  /** Per Lanyard process an SVID line, per injected pod a version line. */
  List<CheckResult> proxies(
      List<Pod> pods, AdminEndpoint admin, String webhookVersion) {
    List<CheckResult> results = new ArrayList<>();
    for (Pod pod : pods) {
      var status = AdminTarget.status(pod);
      if (status.isEmpty()) {
        continue;
      }
      for (AdminTarget target : AdminTarget.of(List.of(pod))) {
        String process = "pod/" + target.pod() + " container " + target.container();
        if (!target.running()) {
          results.add(SvidCheck.check(process, null, target.notRunning(), now));
          continue;
        }
        try {
          JsonNode identity =
              JSON.readTree(
                  admin.get(target.namespace(), target.pod(), target.port(), "/identity"));
          results.add(SvidCheck.check(process, identity, null, now));
        } catch (IOException e) {
          results.add(
              SvidCheck.check(
                  process,
                  null,
                  "admin port " + target.port() + ": " + e.getMessage(),
                  now));
        }
      }
      results.add(
          VersionSkewCheck.check(
              "pod/" + pod.getMetadata().getName(),
              status.map(InjectionStatus::version).orElse(null),
              webhookVersion));
    }
    return results;
  }

  private static Map<String, String> labels(Map<String, String> labels) {
    return labels == null ? Map.of() : labels;
  }
}
