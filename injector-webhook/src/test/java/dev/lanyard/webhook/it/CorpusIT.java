package dev.lanyard.webhook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.KubeApiServerExtension;
import dev.lanyard.webhook.golden.GoldenCase;
import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.JsonPatches;
import dev.lanyard.webhook.inject.KubeJson;
import dev.lanyard.webhook.inject.LanyardNames;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.workload.ManifestInjector;
import dev.lanyard.webhook.workload.WorkloadKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every golden case against a real kube-apiserver: the injected object is valid (the apiserver
 * accepts it, defaults and all), injecting what the apiserver returns again changes nothing, and
 * for pods the real webhook path does the same: admission injects the input, and re-admitting the
 * injected pod (as reinvocation would) leaves it as it is.
 */
class CorpusIT {
  @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();

  private static final String LABELED = "corpus-injected";
  private static final String PLAIN = "corpus-plain";

  @TempDir static Path directory;

  private static WebhookFixture webhook;

  @BeforeAll
  static void startWebhook() throws Exception {
    webhook =
        new WebhookFixture(
            kube.server(),
            directory,
            goldenBaseConfig(),
            metrics -> dev.lanyard.webhook.admission.InjectionEvents.NONE);
    webhook.createNamespace(LABELED, Map.of(LanyardNames.INJECT, LanyardNames.NAMESPACE_ENABLED));
    webhook.createNamespace(PLAIN, Map.of());
    webhook.awaitInjecting(LABELED);
  }

  @AfterAll
  static void stopWebhook() {
    if (webhook != null) {
      webhook.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyCorpusItem() {
    return GoldenCase.all().stream()
        .flatMap(
            golden ->
                Stream.of(
                    dynamicTest(
                        golden.name()
                            + ": the injected object is accepted and injecting it again changes"
                            + " nothing",
                        () -> injectedObjectIsValidAndStable(golden)),
                    dynamicTest(
                        golden.name() + ": through the webhook", () -> throughTheWebhook(golden))));
  }

  private static void injectedObjectIsValidAndStable(GoldenCase golden) {
    // A refused pod's output is its input: valid as such (the webhook, not the apiserver, refuses).
    HasMetadata stored = dryRunCreate(golden.outputObject(), PLAIN);

    ManifestInjector injector = new ManifestInjector(new PodInjector(golden.config()));
    boolean injected =
        injector.inject(golden.inputObject(), PLAIN).report().map(r -> r.injected()).orElse(false);
    if (!injected) {
      return; // skipped by injection: nothing of Lanyard's to re-run
    }
    JsonNode storedTree = KubeJson.tree(stored);
    JsonNode again = injector.inject(GoldenCase.withoutStatus(storedTree), PLAIN).object();
    assertThat(JsonPatches.diff(storedTree, again))
        .as("re-injecting %s as the apiserver stored it (defaults included)", golden)
        .isEmpty();
  }

  private static void throughTheWebhook(GoldenCase golden) {
    JsonNode input = golden.inputObject();
    if (!WorkloadKind.POD.kind().equals(input.path("kind").asText())) {
      return; // workloads reach the webhook only as the pods their controllers create
    }
    Optional<InjectionReport> report =
        new ManifestInjector(new PodInjector(golden.config())).inject(input, LABELED).report();
    if (report.map(InjectionReport::refused).orElse(false)) {
      // Denied at admission: the apiserver answers with the webhook's reason.
      assertThatThrownBy(() -> dryRunCreate(input, LABELED))
          .as("%s is refused through the webhook", golden)
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("denied the request")
          .hasMessageContaining(report.get().summary());
      return;
    }
    Pod admitted = (Pod) dryRunCreate(input, LABELED);
    if (!hasStatus(KubeJson.tree(admitted))) {
      return; // skipped: re-admission is the same skip
    }
    Pod readmitted = (Pod) dryRunCreate(KubeJson.tree(admitted), LABELED);

    assertThat(
            JsonPatches.diff(
                KubeJson.tree(admitted.getSpec()), KubeJson.tree(readmitted.getSpec())))
        .as("re-admitting the injected %s", golden)
        .isEmpty();
    assertThat(readmitted.getMetadata().getAnnotations())
        .isEqualTo(admitted.getMetadata().getAnnotations());
  }

  private static HasMetadata dryRunCreate(JsonNode object, String namespace) {
    ObjectNode copy = object.deepCopy();
    ObjectNode metadata = (ObjectNode) copy.path("metadata");
    for (String field :
        new String[] {
          "namespace", "uid", "resourceVersion", "creationTimestamp", "managedFields"
        }) {
      metadata.remove(field);
    }
    HasMetadata resource = KubeJson.serialization().unmarshal(copy.toString());
    KubernetesClient client = kube.client();
    return client.resource(resource).inNamespace(namespace).dryRun().create();
  }

  private static boolean hasStatus(JsonNode object) {
    JsonNode template =
        WorkloadKind.of(object.path("kind").asText())
            .map(kind -> object.at(kind.template()))
            .orElse(object);
    return template.path("metadata").path("annotations").has(LanyardNames.STATUS);
  }

  private static InjectorConfig goldenBaseConfig() {
    return GoldenCase.all().stream()
        .filter(golden -> golden.name().equals("pod-jvm-temurin"))
        .findFirst()
        .orElseThrow()
        .config();
  }
}
