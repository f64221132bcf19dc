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
    // fabric8 retries a refused connection ten times with backoff (26 s measured); a CLI answers
    // at once, as kubectl does, and the user runs it again.
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
