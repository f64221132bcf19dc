package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Tools;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The chart's {@code kubeVersion}: the injected sidecar is a native sidecar, so helm refuses a
 * cluster older than 1.29 (as {@code lanyard check} does) and admits providers' suffixed versions.
 */
class ChartKubeVersionTest {
  @Test
  void helmRefusesKubernetesOlderThan129AndAcceptsSuffixedNewerOnes() {
    Command.Result old = template("v1.28.9");
    Command.Result eks = template("v1.29.3-eks-1");
    Command.Result current = template(Helm.KUBE_VERSION);

    assertThat(old.exitCode()).isNotZero();
    assertThat(old.output())
        .contains("chart requires kubeVersion: >=1.29.0-0 which is incompatible with Kubernetes"
            + " v1.28.9");
    assertThat(eks.exitCode()).as(eks.output()).isZero();
    assertThat(current.exitCode()).as(current.output()).isZero();
  }

  private static Command.Result template(String kubeVersion) {
    return Command.run(Duration.ofSeconds(120), Tools.require("helm").toString(), "template",
        Helm.RELEASE, Helm.chartDir().toString(), "--namespace", Helm.NAMESPACE,
        "--kube-version", kubeVersion);
  }
}
