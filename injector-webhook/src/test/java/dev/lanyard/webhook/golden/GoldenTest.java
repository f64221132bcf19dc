package dev.lanyard.webhook.golden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.webhook.inject.InjectionReport;
import dev.lanyard.webhook.inject.JsonPatches;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.workload.ManifestInjector;
import dev.lanyard.webhook.workload.ManifestResult;
import dev.lanyard.webhook.workload.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden tests over the corpus in {@code src/test/resources/golden} (after Istio's {@code
 * inject_test.go}): every {@code <name>.in.yaml} is injected and compared, as a tree, with {@code
 * <name>.out.yaml} and {@code <name>.report.yaml}; then injected again, which must change nothing.
 * Regenerate the expected files after an intended change with {@code ./mvnw -pl injector-webhook
 * test -Dtest=GoldenTest -Dlanyard.golden.update=true} and review the diff.
 */
class GoldenTest {
  private static final boolean UPDATE = Boolean.getBoolean("lanyard.golden.update");

  @TestFactory
  Stream<DynamicNode> corpus() {
    List<GoldenCase> cases = GoldenCase.all();
    assertThat(cases)
        .as("golden cases in %s", GoldenCase.DIRECTORY.toAbsolutePath())
        .hasSizeGreaterThanOrEqualTo(20);
    return cases.stream()
        .map(
            golden ->
                dynamicContainer(
                    golden.name(),
                    Stream.of(
                        dynamicTest(
                            "output and report match the golden files",
                            () -> matchesGolden(golden)),
                        dynamicTest(
                            "injecting the output again changes nothing",
                            () -> idempotent(golden)))));
  }

  @Test
  void everyExpectedFileHasAnInput() throws IOException {
    List<Path> stale = new ArrayList<>();
    try (Stream<Path> files = Files.list(GoldenCase.DIRECTORY)) {
      files.forEach(
          file -> {
            String name = file.getFileName().toString();
            for (String suffix : List.of(GoldenCase.OUTPUT, GoldenCase.REPORT, GoldenCase.CONFIG)) {
              if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                if (!Files.exists(file.resolveSibling(base + GoldenCase.INPUT))) {
                  stale.add(file);
                }
              }
            }
          });
    }
    if (UPDATE) {
      for (Path file : stale) {
        Files.delete(file);
      }
      return;
    }
    assertThat(stale)
        .as(
            "golden files without a matching .in.yaml (delete them, or run with"
                + " -Dlanyard.golden.update=true)")
        .isEmpty();
  }

  private static void matchesGolden(GoldenCase golden) throws IOException {
    ManifestResult result = inject(golden, golden.inputObject());
    JsonNode report = ReportYaml.of(result);
    if (UPDATE) {
      Files.writeString(golden.output(), Manifests.toYaml(result.object()));
      Files.writeString(golden.report(), Manifests.toYaml(report));
      return;
    }
    assertSameTree(golden.output(), result.object());
    assertSameTree(golden.report(), report);
  }

  private static void idempotent(GoldenCase golden) {
    ManifestResult first = inject(golden, golden.inputObject());
    JsonNode once = first.object();

    ManifestResult twice = inject(golden, once);
    assertThat(twice.object()).as("injecting %s's output again", golden).isEqualTo(once);

    // Without the status annotation every step of an injection runs again: each must find its
    // work done.
    if (first.report().map(report -> report.injected()).orElse(false)) {
      JsonNode withoutStatus = GoldenCase.withoutStatus(once);
      JsonNode again = inject(golden, withoutStatus).object();
      JsonNode patch = JsonPatches.diff(once, again);
      assertThat(patch)
          .as("re-running every step on %s's output (status removed) changed it", golden)
          .isEmpty();
    }
  }

  /** What the CLI and the webhook do to one object: the same core. */
  static ManifestResult inject(GoldenCase golden, JsonNode object) {
    return new ManifestInjector(new PodInjector(golden.config()))
        .inject(object, GoldenCase.DEFAULT_NAMESPACE);
  }

  private static void assertSameTree(Path expectedFile, JsonNode actual) {
    if (!Files.exists(expectedFile)) {
      fail(expectedFile + " is missing; create it with -Dlanyard.golden.update=true and review it");
    }
    JsonNode expected = Manifests.parse(GoldenCase.read(expectedFile));
    // Through YAML text once, so that 65532 read from the file and a long in the model compare
    // equal.
    JsonNode actualAsRead = Manifests.parse(Manifests.toYaml(actual));
    if (!expected.equals(actualAsRead)) {
      fail(
          expectedFile
              + " differs; the patch from expected to actual is:\n"
              + JsonPatches.diff(expected, actualAsRead).toPrettyString()
              + "\n"
              + "If the change is intended, regenerate with -Dlanyard.golden.update=true and review"
              + " the diff.");
    }
  }

  /** Only for tests in this package: the report of a result, as the golden report file holds it. */
  static final class ReportYaml {
    private ReportYaml() {}

    static JsonNode of(ManifestResult result) {
      ObjectNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      out.put("object", result.name());
      if (result.report().isEmpty()) {
        out.put("outcome", "not a pod or workload");
        return out;
      }
      InjectionReport report = result.report().get();
      out.put("outcome", report.reasonCode());
      out.put("namespace", report.namespace());
      out.put("summary", report.summary());
      var containers = out.putArray("containers");
      report
          .containers()
          .forEach(
              container -> {
                ObjectNode item = containers.addObject();
                item.put("name", container.name());
                item.put("mode", container.mode().wireName());
                item.put("runtime", container.runtime());
                if (container.skipCode() != null) {
                  item.put("skip", container.skipCode());
                }
                item.put("detail", container.detail());
              });
      var warnings = out.putArray("warnings");
      report
          .warnings()
          .forEach(
              warning ->
                  warnings
                      .addObject()
                      .put("code", warning.code())
                      .put("message", warning.message()));
      var admission = out.putArray("admissionWarnings");
      report.admissionWarnings().forEach(admission::add);
      return out;
    }
  }
}
