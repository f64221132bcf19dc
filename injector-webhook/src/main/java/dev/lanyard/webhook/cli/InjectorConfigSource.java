package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.InvalidConfigException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Where {@code inject} and {@code check-inject} take the injector configuration from: by default
 * the live one, the chart's ConfigMap in the cluster (as {@code istioctl kube-inject} reads the
 * mesh's); {@code --config FILE} or {@code --offline} for work without a cluster.
 */
final class InjectorConfigSource {
  @ArgGroup(exclusive = true)
  Offline offline;

  static final class Offline {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description =
            "Injector configuration YAML, as given to the webhook; no cluster is read for it.")
    Path file;

    @Option(
        names = "--offline",
        description = "Use the built-in injector defaults; no cluster is read for them.")
    boolean defaults;
  }

  @Option(
      names = "--lanyard-namespace",
      paramLabel = "NS",
      description =
          "Namespace of the Lanyard installation to read the configuration from (default: the"
              + " one installation found in the cluster).")
  String lanyardNamespace;

  /** The configuration and where it came from. */
  record Loaded(InjectorConfig config, String origin) {}

  boolean isLive() {
    return offline == null || (offline.file == null && !offline.defaults);
  }

  Loaded load(KubeOptions kube) {
    try {
      if (!isLive()) {
        return offline.file != null
            ? new Loaded(InjectorConfigLoader.load(offline.file), "config file " + offline.file)
            : new Loaded(InjectorConfigLoader.defaults(), "the built-in defaults");
      }
      try (KubernetesClient client = kube.client()) {
        try {
          return fromCluster(client, lanyardNamespace);
        } catch (KubernetesClientException e) {
          throw new UserError(
              "cannot read the injector configuration from the cluster at "
                  + client.getMasterUrl()
                  + ": "
                  + e.getMessage()
                  + "; pass --config FILE or --offline to work without a cluster");
        }
      }
    } catch (InvalidConfigException e) {
      throw new UserError(e.getMessage());
    }
  }

  /** The live configuration of the one installation (in {@code namespace} when not null). */
  static Loaded fromCluster(KubernetesClient client, String namespace) {
    LanyardInstall install = LanyardInstall.find(client, namespace);
    return new Loaded(
        InjectorConfigLoader.fromYaml(install.where(), install.injectorYaml()), install.where());
  }
}
