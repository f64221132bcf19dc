package dev.lanyard.webhook.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --kubeconfig} and {@code --context}, as kubectl has them; otherwise kubectl's defaults.
 */
final class KubeOptions {
  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
  Path kubeconfig;

  @Option(names = "--context", description = "kubeconfig context (default: the current context).")
  String context;

  KubernetesClient client() {
    Config config;
    if (kubeconfig != null) {
      if (!Files.isReadable(kubeconfig)) {
        throw new UserError("cannot read kubeconfig " + kubeconfig);
      }
      config = Config.fromKubeconfig(context, kubeconfig.toFile());
    } else {
      config = Config.autoConfigure(context);
    }
    ClientKeyAlgorithm.fill(config);
    // fabric8 retries a refused connection or a 5xx ten times from 1 s doubling (26 s measured for
    // a closed port); a CLI answers within a second or two, and two quick retries still ride out
    // a busy API server's momentary 503.
    config.setRequestRetryBackoffLimit(2);
    config.setRequestRetryBackoffInterval(250);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
