package dev.lanyard.webhook.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.reasons.Reason;
import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.InjectionStatus;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.workload.ManifestInjector;
import dev.lanyard.webhook.workload.ManifestResult;
import dev.lanyard.webhook.workload.WorkloadKind;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lanyard check-inject}: explains, for manifests or for a live object, whether Lanyard
 * injects it and why (or why not), container by container, from the same decisions the webhook
 * makes. For a live object it also checks what only the cluster knows: the namespace label, and
 * whether the pod was in fact injected. The injector configuration (and with it the namespace
 * label) is the cluster's unless {@code --config FILE} or {@code --offline} says otherwise.
 */
@Command(
    name = "check-inject",
    mixinStandardHelpOptions = true,
    description =
        "Explain whether and why Lanyard injects manifests (-f) or a live object (TYPE/NAME).")
final class CheckInjectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  static final class Target {
    @Option(
        names = {"-f", "--filename"},
        paramLabel = "FILE",
        description = "Manifest file, or - for standard input.")
    List<String> files;

    @Parameters(
        paramLabel = "TYPE/NAME",
        description = "A live object, e.g. pod/web-7c9d8f6b5-x2x9z or deployment/web.")
    String live;
  }

  @Option(
      names = {"-n", "--namespace"},
      defaultValue = "default",
      description = "Namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Mixin InjectorConfigSource config;

  @Mixin KubeOptions kube;

  @Override
  public Integer call() {
    InjectorConfig injectorConfig = config.load(kube).config();
    InjectorConfig.NamespaceLabel label = injectorConfig.namespaceLabel();
    ManifestInjector injector = new ManifestInjector(new PodInjector(injectorConfig));
    PrintWriter out = spec.commandLine().getOut();
    if (target.files != null) {
      for (JsonNode object : ManifestFiles.read(target.files, System.in)) {
        ManifestResult result = injector.inject(object, namespace);
        if (result.report().isEmpty()) {
          out.println(result.name() + ": not a pod or workload; nothing to inject");
        } else {
          out.print(Explanations.explain(result.name(), result.report().get(), false));
        }
      }
      out.println(
          "(Only pods created in a namespace labeled "
              + label.key()
              + "="
              + label.value()
              + " reach the webhook.)");
    } else {
      try (KubernetesClient client = kube.client()) {
        out.print(explainLive(client, injector, label));
      }
    }
    out.flush();
    return 0;
  }

  private String explainLive(
      KubernetesClient client, ManifestInjector injector, InjectorConfig.NamespaceLabel label) {
    JsonNode object = LiveObjects.fetch(client, namespace, target.live);
    ManifestResult result = injector.inject(object, namespace);
    String name = result.name();
    StringBuilder out = new StringBuilder();
    Namespace ns = client.namespaces().withName(namespace).get();
    Map<String, String> labels =
        ns == null || ns.getMetadata().getLabels() == null
            ? Map.of()
            : ns.getMetadata().getLabels();
    if (!label.isOn(labels)) {
      out.append("namespace ")
          .append(namespace)
          .append(" is not labeled ")
          .append(label.key())
          .append('=')
          .append(label.value())
          .append(", so the webhook never sees its pods; label it with\n")
          .append("  kubectl label namespace ")
          .append(namespace)
          .append(' ')
          .append(label.key())
          .append('=')
          .append(label.value())
          .append("\nand recreate the pods.\n");
    }
    Optional<InjectionReport> report = result.report();
    if (report.isEmpty()) {
      return out.append(name).append(": not a pod or workload; nothing to inject\n").toString();
    }
    boolean isPod = WorkloadKind.POD.kind().equals(object.path("kind").asText());
    if (isPod && report.get().skipReason() == Reason.ALREADY_INJECTED) {
      String statusJson =
          object.path("metadata").path("annotations").path(LanyardNames.STATUS).asText("");
      out.append(name).append(" (namespace ").append(namespace).append("): injected\n");
      InjectionStatus.parse(statusJson)
          .ifPresentOrElse(
              status -> {
                out.append("  by Lanyard ").append(status.version()).append('\n');
                status
                    .containers()
                    .forEach(
                        (container, mode) -> {
                          out.append("  container ").append(container).append(": ").append(mode);
                          Integer port = status.adminPorts().get(container);
                          if (port != null) {
                            out.append(", admin port ").append(port);
                          }
                          out.append('\n');
                        });
                Integer sidecar = status.adminPorts().get(LanyardNames.SIDECAR_CONTAINER);
                if (sidecar != null) {
                  out.append("  sidecar ")
                      .append(LanyardNames.SIDECAR_CONTAINER)
                      .append(": admin port ")
                      .append(sidecar)
                      .append('\n');
                }
              },
              () ->
                  out.append("  (its ")
                      .append(LanyardNames.STATUS)
                      .append(" annotation is unreadable: ")
                      .append(statusJson)
                      .append(")\n"));
      return out.toString();
    }
    if (isPod && report.get().injected()) {
      out.append(name)
          .append(" (namespace ")
          .append(namespace)
          .append(
              "): NOT injected, although the webhook would inject it now; it was created before the"
                  + " namespace was labeled, or while the webhook was unreachable (failurePolicy"
                  + " Ignore). Recreate it. What injection would do:\n");
      return out.append(Explanations.explain(name, report.get(), false)).toString();
    }
    return out.append(Explanations.explain(name, report.get(), isPod)).toString();
  }
}
