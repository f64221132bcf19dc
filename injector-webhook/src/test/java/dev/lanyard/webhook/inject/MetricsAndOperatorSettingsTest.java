package dev.lanyard.webhook.inject;

import static dev.lanyard.webhook.inject.TestPods.app;
import static dev.lanyard.webhook.inject.TestPods.container;
import static dev.lanyard.webhook.inject.TestPods.env;
import static dev.lanyard.webhook.inject.TestPods.init;
import static dev.lanyard.webhook.inject.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metrics port and the chart's cluster-wide settings (issue 20, items 5 and 6). */
class MetricsAndOperatorSettingsTest {
  private static final String CHART_SETTINGS = """
      javaagent: {image: registry.example/lanyard/javaagent:test}
      sidecar:
        image: registry.example/lanyard/sidecar:test
        jvmFlags: [-XX:+UseSerialGC, -Xmx64m]
        outbound: 127.0.0.1:5433=postgres.db.svc:5432
        timeouts: {drain: 20s, idle: 2m, handshake: 1s}
        resources: {requests: {cpu: 20m, memory: 80Mi}, limits: {memory: 200Mi}}
      defaults: {meshHosts: "*.internal.example.org", plainPorts: "8443"}
      """;

  private static Pod inject(InjectorConfig config, Pod pod) {
    return new PodInjector(config).inject(pod, RequestContext.of(TestPods.NAMESPACE)).pod();
  }

  @Test
  void theSidecarGetsThePodsMetricsPortAndThePodTheScrapeAnnotations() {
    Pod pod = inject(TestPods.config(), TestPods.pythonPod());

    Container sidecar = init(pod, "lanyard-sidecar").orElseThrow();
    assertThat(env(sidecar, "LANYARD_METRICS_ADDRESS")).contains("0.0.0.0:15020");
    assertThat(pod.getMetadata().getAnnotations()).containsAllEntriesOf(Map.of(
        "prometheus.io/scrape", "true", "prometheus.io/port", "15020",
        "prometheus.io/path", "/metrics"));
    assertThat(env(app(pod, "api"), "LANYARD_METRICS_ADDRESS")).isEmpty();
  }

  @Test
  void withoutASidecarTheFirstJavaagentContainerServesTheMetricsPort() {
    Pod pod = inject(TestPods.config(), pod("two-jvms", container("a", "eclipse-temurin:21"),
        container("b", "eclipse-temurin:21")));

    assertThat(env(app(pod, "a"), "LANYARD_METRICS_ADDRESS")).contains("0.0.0.0:15020");
    assertThat(app(pod, "a").getPorts()).extracting(port -> port.getName())
        .containsExactly("lanyard-metrics");
    assertThat(env(app(pod, "b"), "LANYARD_METRICS_ADDRESS")).as("one target per pod").isEmpty();
    assertThat(env(app(pod, "a"), "LANYARD_ADMIN_ADDRESS")).contains("127.0.0.1:15000");
  }

  @Test
  void thePodsOwnScrapeAnnotationsWinAndInjectingTwiceChangesNothing() {
    Pod input = TestPods.pythonPod();
    input.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of(
        "prometheus.io/scrape", "true", "prometheus.io/port", "8080")));

    Pod once = inject(TestPods.config(), input);
    Pod twice = inject(TestPods.config(), once);

    assertThat(once.getMetadata().getAnnotations()).containsEntry("prometheus.io/port", "8080")
        .doesNotContainKey("prometheus.io/path");
    assertThat(twice).isEqualTo(once);
  }

  @Test
  void aJvmPodDeclaringTheMetricsPortKeepsItAndGetsAWarning() {
    Container jvm = container("app", "eclipse-temurin:21");
    jvm.setPorts(List.of(new ContainerPortBuilder().withContainerPort(15020).build()));

    InjectionResult result = new PodInjector(TestPods.config())
        .inject(pod("busy", jvm), RequestContext.of(TestPods.NAMESPACE));

    assertThat(env(app(result.pod(), "app"), "LANYARD_METRICS_ADDRESS")).isEmpty();
    assertThat(result.report().warnings()).anySatisfy(warning -> assertThat(warning.message())
        .contains("container app declares port 15020, Lanyard's metrics port",
            "injector.metrics.port"));
  }

  @Test
  void metricsOffLeavesNoPortAndNoAnnotation() {
    InjectorConfig config = InjectorConfigLoader.fromYaml("test",
        "javaagent: {image: registry.example/lanyard/javaagent:test}\nmetrics: {enabled: false}");

    Pod pod = inject(config, TestPods.pythonPod());

    assertThat(env(init(pod, "lanyard-sidecar").orElseThrow(), "LANYARD_METRICS_ADDRESS")).isEmpty();
    assertThat(pod.getMetadata().getAnnotations()).doesNotContainKey("prometheus.io/scrape");
  }

  @Test
  void theChartsSidecarSettingsReachTheSidecar() {
    Pod pod = inject(InjectorConfigLoader.fromYaml("test", CHART_SETTINGS), TestPods.pythonPod());

    Container sidecar = init(pod, "lanyard-sidecar").orElseThrow();
    assertThat(sidecar.getCommand()).containsExactly("/usr/bin/java", "-XX:+UseSerialGC",
        "-Xmx64m", "-jar", "/opt/lanyard/lanyard-sidecar.jar");
    assertThat(env(sidecar, "LANYARD_OUTBOUND")).contains("127.0.0.1:5433=postgres.db.svc:5432");
    assertThat(env(sidecar, "LANYARD_DRAIN")).contains("20s");
    assertThat(env(sidecar, "LANYARD_IDLE_TIMEOUT")).contains("2m");
    assertThat(env(sidecar, "LANYARD_HANDSHAKE_TIMEOUT")).contains("1s");
    assertThat(env(sidecar, "LANYARD_MESH_HOSTS")).contains("*.internal.example.org");
    assertThat(env(sidecar, "LANYARD_PLAIN_PORTS")).as("a javaagent setting").isEmpty();
    assertThat(sidecar.getResources().getLimits().get("memory").toString()).isEqualTo("200Mi");
  }

  @Test
  void theChartsJavaagentSettingsReachJavaagentContainers() {
    Pod pod = inject(InjectorConfigLoader.fromYaml("test", CHART_SETTINGS), TestPods.jvmPod());

    Container app = app(pod, "app");
    assertThat(env(app, "LANYARD_MESH_HOSTS")).contains("*.internal.example.org");
    assertThat(env(app, "LANYARD_PLAIN_PORTS")).contains("8443");
  }

  @Test
  void theDefaultSidecarCommandIsTheImagesEntrypointWithTheDocumentedFlags() {
    Container sidecar = init(inject(TestPods.config(), TestPods.pythonPod()), "lanyard-sidecar")
        .orElseThrow();

    assertThat(sidecar.getCommand()).containsExactly("/usr/bin/java", "-XX:+UseSerialGC",
        "-Xms8m", "-Xmx32m", "-Xss256k", "-XX:MaxDirectMemorySize=64m",
        "-XX:TrimNativeHeapInterval=1000", "-jar", "/opt/lanyard/lanyard-sidecar.jar");
  }

  @Test
  void badChartSettingsStopTheWebhookWithTheKeyAndTheWorkloadsWords() {
    assertThatThrownBy(() -> InjectorConfigLoader.fromYaml("chart", """
        sidecar:
          jvmFlags: [Xmx64m]
          outbound: "postgres:5432"
          timeouts: {drain: 10 seconds}
        defaults: {plainPorts: "80,http"}
        metrics: {port: 15021}
        """))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("sidecar.jvmFlags [Xmx64m] must be JVM options, each starting with -")
        .hasMessageContaining("sidecar.outbound: entry \"postgres:5432\" is not listen=upstream")
        .hasMessageContaining("sidecar.timeouts.drain: value \"10 seconds\" is not a duration")
        .hasMessageContaining("defaults.plainPorts: plain port \"http\" is not a port number")
        .hasMessageContaining("sidecar.healthPort and metrics.port are both 15021");
  }
}
