package dev.lanyard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.workload.ManifestInjector;
import dev.lanyard.webhook.workload.Manifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest in {@code demo-apps/k8s}, as written and as the webhook would inject it, is
 * accepted by a real kube-apiserver ({@code kubectl apply --dry-run=server}). The ClusterSPIFFEID
 * is checked against a minimal CRD installed here (test resource {@code
 * clusterspiffeid-crd-minimal.yaml}), since spire-controller-manager is not part of the apiserver.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoManifestsIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  private final Path k8s = DemoPaths.detect().manifests();

  @BeforeAll
  void installTheNamespaceAndTheCrd() throws Exception {
    // Namespaced objects can only be dry-run into a namespace that exists.
    kube.server().kubectl("apply", "-f", k8s.resolve("namespace.yaml").toString()).orThrow();
    Path crd = Path.of(getClass().getResource("/clusterspiffeid-crd-minimal.yaml").toURI());
    kube.server().kubectl("apply", "-f", crd.toString()).orThrow();
    kube.server().kubectl("wait", "--for=condition=Established", "--timeout=30s",
        "crd/clusterspiffeids.spire.spiffe.io").orThrow();
  }

  @Test
  void everyManifestAsWrittenIsAccepted() {
    List<String> files = yamlFiles();
    assertThat(files).hasSizeGreaterThanOrEqualTo(8);
    for (String file : files) {
      Command.Result result = kube.server().kubectl("apply", "--dry-run=server", "-f", file);
      assertThat(result.ok()).as(result.output()).isTrue();
      assertThat(result.output()).as(file).contains("(server dry run)");
    }
  }

  @Test
  void aClusterSpiffeIdWithAWrongFieldIsRefusedSoTheCheckAboveCanFail(@TempDir Path dir)
      throws Exception {
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, Files.readString(k8s.resolve("clusterspiffeid.yaml"))
        .replace("spiffeIDTemplate:", "spiffeIdTemplate:"));

    Command.Result result = kube.server().kubectl("apply", "--dry-run=server", "-f", broken.toString());

    assertThat(result.ok()).as(result.output()).isFalse();
    assertThat(result.output()).contains("unknown field \"spec.spiffeIdTemplate\"");
  }

  @Test
  void everyDeploymentAsTheWebhookWouldInjectItIsAccepted(@TempDir Path dir) throws Exception {
    ManifestInjector injector = new ManifestInjector(new PodInjector(InjectorConfigLoader.defaults()));
    List<JsonNode> injected = new ArrayList<>();
    for (JsonNode deployment : DemoManifests.read(k8s).deployments()) {
      JsonNode object = injector.inject(deployment, "default").object();
      assertThat(object.path("spec").path("template").path("metadata").path("annotations")
          .has("lanyard.dev/status")).as(DemoManifests.name(deployment)).isTrue();
      injected.add(object);
    }
    // The JWT-SVID hop: the annotations became the env of the orchestrator's container (its
    // javaagent sends) and of the notifier's sidecar (it requires).
    assertThat(env(injected, "orchestrator", "containers", "orchestrator"))
        .containsEntry("LANYARD_JWT_AUDIENCES", "notifier.ai-agents.svc=notifier");
    assertThat(env(injected, "notifier", "initContainers", "lanyard-sidecar"))
        .containsEntry("LANYARD_INBOUND_JWT_AUDIENCE", "notifier")
        .doesNotContainKey("LANYARD_JWT_AUDIENCES");
    assertThat(env(injected, "notifier", "containers", "notifier"))
        .doesNotContainKey("LANYARD_INBOUND_JWT_AUDIENCE");
    Path file = Files.writeString(dir.resolve("injected.yaml"), Manifests.write(injected));

    Command.Result result = kube.server().kubectl("apply", "--dry-run=server", "-f", file.toString());

    assertThat(result.ok()).as(result.output()).isTrue();
    assertThat(result.output().lines().filter(l -> l.contains("(server dry run)"))).hasSize(6);
  }

  private static Map<String, String> env(List<JsonNode> deployments, String deployment,
      String list, String container) {
    Map<String, String> env = new HashMap<>();
    for (JsonNode object : deployments) {
      if (DemoManifests.name(object).equals(deployment)) {
        for (JsonNode c : object.path("spec").path("template").path("spec").path(list)) {
          if (c.path("name").asText().equals(container)) {
            c.path("env").forEach(v -> env.put(v.path("name").asText(), v.path("value").asText()));
            return env;
          }
        }
      }
    }
    throw new AssertionError("no container " + container + " in " + list + " of " + deployment);
  }

  private List<String> yamlFiles() {
    try (var files = Files.list(k8s)) {
      return files.map(Path::toString).filter(f -> f.endsWith(".yaml")).sorted().toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
