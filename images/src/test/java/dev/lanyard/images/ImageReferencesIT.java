package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the chart, the webhook and the demo manifests tell a cluster to run is what this module
 * builds: an image reference that drifts from the build would leave pods in ErrImagePull on a
 * node without a registry.
 */
class ImageReferencesIT {
  private static final Pattern IMAGE = Pattern.compile("^\\s*(?:-\\s*)?image:\\s*\"?([^\"\\s#]+)",
      Pattern.MULTILINE);
  private static final Path REPO = Path.of("..");

  @Test
  void theDemoManifestsNameOnlyImagesBuiltHere() throws IOException {
    Set<String> named = new TreeSet<>();
    try (Stream<Path> files = Files.list(REPO.resolve("demo-apps/k8s"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        named.addAll(images(Files.readString(file)));
      }
    }

    assertThat(named).containsExactlyInAnyOrder(
        Images.built("demo-workloads").reference(), Images.built("demo-notifier").reference());
  }

  @Test
  void theWebhooksDefaultJavaagentAndSidecarImagesAreBuiltHere() throws IOException {
    // As packaged: ${project.version} filtered in.
    String defaults = Files.readString(REPO.resolve(
        "injector-webhook/target/classes/dev/lanyard/webhook/inject/injector-defaults.yaml"));

    assertThat(images(defaults)).containsExactlyInAnyOrder(
        Images.built("javaagent").reference(), Images.built("sidecar").reference());
  }

  @Test
  void theChartsDefaultImagesAreBuiltHere() throws IOException {
    String values = Files.readString(REPO.resolve("charts/lanyard/values.yaml"));
    String appVersion = chartAppVersion();
    List<String> repositories = Pattern.compile("^\\s*repository:\\s*(\\S+)", Pattern.MULTILINE)
        .matcher(values).results().map(m -> m.group(1) + ":" + appVersion).toList();

    assertThat(repositories).containsExactlyInAnyOrder(Images.built("webhook").reference(),
        Images.built("javaagent").reference(), Images.built("sidecar").reference());
  }

  private static String chartAppVersion() throws IOException {
    Matcher version = Pattern.compile("^appVersion:\\s*\"?([^\"\\s]+)", Pattern.MULTILINE)
        .matcher(Files.readString(REPO.resolve("charts/lanyard/Chart.yaml")));
    assertThat(version.find()).as("appVersion in charts/lanyard/Chart.yaml").isTrue();
    return version.group(1);
  }

  private static Set<String> images(String yaml) {
    Set<String> images = new TreeSet<>();
    IMAGE.matcher(yaml).results().forEach(m -> images.add(m.group(1)));
    return images;
  }
}
