package dev.lanyard.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.Command;
import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.inject.RequestContext;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 in the chart: the metrics ports, the optional PodMonitor and Grafana dashboard, and every
 * injector setting (sidecar resources and JVM flags, mesh hosts, plain ports, static outbound
 * routes, timeouts) from values.yaml through values.schema.json to the webhook's configuration.
 */
class ChartMetricsAndSettingsTest {
  private static final String WEBHOOK = "lanyard-webhook";

  @Test
  void theWebhookServesMetricsOnAPortOfItsOwnWithScrapeAnnotations() {
    Rendered rendered = Helm.template(Map.of());
    JsonNode pod = rendered.one("Deployment").at("/spec/template");
    JsonNode container = pod.at("/spec/containers/0");

    assertThat(ChartTemplateTest.texts(container.path("args"))).contains("--metrics-port=9090");
    assertThat(container.at("/ports/1/name").asText()).isEqualTo("metrics");
    assertThat(container.at("/ports/1/containerPort").asInt()).isEqualTo(9090);
    assertThat(pod.at("/metadata/annotations/prometheus.io~1scrape").asText()).isEqualTo("true");
    assertThat(pod.at("/metadata/annotations/prometheus.io~1port").asText()).isEqualTo("9090");
    assertThat(rendered.one("NetworkPolicy").at("/spec/ingress/0/ports/1/port").asInt())
        .isEqualTo(9090);
  }

  @Test
  void thePodMonitorAndTheDashboardAreOffByDefaultAndRenderWhenOn() throws Exception {
    Rendered defaults = Helm.template(Map.of());
    assertThat(defaults.has("PodMonitor")).isFalse();
    assertThat(defaults.names()).doesNotContain("ConfigMap/lanyard-dashboard");

    Rendered on = Helm.template(Map.of("metrics.podMonitor.enabled", "true",
        "metrics.podMonitor.labels.release", "prometheus", "metrics.dashboard.enabled", "true"));
    JsonNode monitor = on.one("PodMonitor");
    assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.at("/metadata/labels/release").asText()).isEqualTo("prometheus");
    assertThat(monitor.at("/spec/namespaceSelector/any").asBoolean()).isTrue();
    assertThat(monitor.at("/spec/podMetricsEndpoints/0/port").asText()).isEqualTo("lanyard-metrics");
    assertThat(monitor.at("/spec/podMetricsEndpoints/1/port").asText()).isEqualTo("metrics");
    assertThat(monitor.at("/spec/podMetricsEndpoints/0/interval").asText()).isEqualTo("30s");

    JsonNode dashboard = on.objects().stream()
        .filter(o -> o.at("/metadata/name").asText().equals("lanyard-dashboard")).findFirst()
        .orElseThrow();
    assertThat(dashboard.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
    JsonNode json = new ObjectMapper().readTree(dashboard.at("/data/lanyard.json").asText());
    assertThat(json).isEqualTo(new ObjectMapper().readTree(
        Files.readString(Helm.chartDir().resolve("dashboards/lanyard.json"))));
    assertThat(json.at("/panels").size()).isGreaterThanOrEqualTo(6);
  }

  @Test
  void everyInjectorSettingReachesTheWebhooksConfiguration() {
    InjectorConfig defaults =
        InjectorConfigLoader.fromYaml("default render", Helm.template(Map.of()).injectorConfig());
    InjectorConfig bundled = InjectorConfigLoader.defaults();
    assertThat(defaults.sidecar().resources()).isEqualTo(bundled.sidecar().resources());
    assertThat(defaults.sidecar().jvmFlags()).isEqualTo(bundled.sidecar().jvmFlags());
    assertThat(defaults.javaagent().resources()).isEqualTo(bundled.javaagent().resources());
    assertThat(defaults.metrics()).isEqualTo(new InjectorConfig.Metrics(true, 15020, true));

    InjectorConfig set = InjectorConfigLoader.fromYaml("settings render", Helm.template(
        Map.ofEntries(
            Map.entry("injector.sidecar.resources.limits.memory", "512Mi"),
            Map.entry("injector.sidecar.resources.requests.cpu", "100m"),
            Map.entry("injector.javaagent.resources.limits.memory", "32Mi"),
            Map.entry("injector.sidecar.jvmFlags[0]", "-XX:+UseSerialGC"),
            Map.entry("injector.sidecar.jvmFlags[1]", "-Xmx128m"),
            Map.entry("injector.sidecar.outbound", "127.0.0.1:5433=postgres.db.svc:5432"),
            Map.entry("injector.sidecar.timeouts.drain", "20s"),
            Map.entry("injector.sidecar.timeouts.idle", "2m"),
            Map.entry("injector.sidecar.timeouts.handshake", "1500ms"),
            Map.entry("injector.defaults.meshHosts", "*.internal.example.org"),
            Map.entry("injector.defaults.plainPorts", "8443\\,9443"),
            Map.entry("injector.defaults.upgradeInbound", "8080=strict\\,9090=off\\,permissive"),
            Map.entry("injector.defaults.upgradeOutbound", "permissive"),
            Map.entry("injector.metrics.port", "15090"),
            Map.entry("injector.metrics.scrapeAnnotations", "false")))
        .injectorConfig());
    assertThat(set.sidecar().resources().getLimits().get("memory").toString()).isEqualTo("512Mi");
    assertThat(set.sidecar().resources().getRequests().get("cpu").toString()).isEqualTo("100m");
    assertThat(set.javaagent().resources().getLimits().get("memory").toString()).isEqualTo("32Mi");
    assertThat(set.sidecar().jvmFlags()).containsExactly("-XX:+UseSerialGC", "-Xmx128m");
    assertThat(set.sidecar().outbound()).isEqualTo("127.0.0.1:5433=postgres.db.svc:5432");
    assertThat(set.sidecar().timeouts())
        .isEqualTo(new InjectorConfig.SidecarTimeouts("20s", "2m", "1500ms"));
    assertThat(set.defaults().meshHosts()).isEqualTo("*.internal.example.org");
    assertThat(set.defaults().plainPorts()).isEqualTo("8443,9443");
    assertThat(set.defaults().upgradeInbound()).isEqualTo("8080=strict,9090=off,permissive");
    assertThat(set.defaults().upgradeOutbound()).isEqualTo("permissive");
    assertThat(defaults.defaults().upgradeInbound()).as("off by default").isEmpty();
    assertThat(defaults.defaults().upgradeOutbound()).as("off by default").isEmpty();
    assertThat(set.metrics()).isEqualTo(new InjectorConfig.Metrics(true, 15090, false));
  }

  @Test
  void theUpgradeDefaultsReachEveryJvmPodWithoutAnAnnotation() {
    InjectorConfig config = InjectorConfigLoader.fromYaml("upgrade render", Helm.template(
        Map.of("injector.defaults.upgradeInbound", "permissive",
            "injector.defaults.upgradeOutbound", "8080=strict")).injectorConfig());
    Pod pod = new PodBuilder().withNewMetadata().withName("orders").withNamespace("shop")
        .endMetadata().withNewSpec().addNewContainer().withName("api")
        .withImage("eclipse-temurin:21-jre").addNewPort().withContainerPort(8080).endPort()
        .endContainer().endSpec().build();

    Pod injected = new PodInjector(config).inject(pod, RequestContext.of("shop")).pod();

    Map<String, String> env = new java.util.HashMap<>();
    for (EnvVar variable : injected.getSpec().getContainers().get(0).getEnv()) {
      env.put(variable.getName(), variable.getValue());
    }
    assertThat(env).containsEntry("LANYARD_UPGRADE_INBOUND", "8080=permissive")
        .containsEntry("LANYARD_UPGRADE_OUTBOUND", "8080=strict");
  }

  @Test
  void theSchemaRefusesBadSettingsWithTheirNames() {
    for (Map.Entry<String, String> bad : Map.of(
        "injector.sidecar.jvmFlags[0]", "Xmx64m",
        "injector.sidecar.timeouts.drain", "10 seconds",
        "injector.defaults.plainPorts", "http",
        "injector.defaults.upgradeInbound", "8080:strict",
        "injector.sidecar.outbound", "postgres:5432",
        "injector.metrics.port", "80",
        "metrics.podMonitor.interval", "often",
        "injector.sidecar.image.digest", "latest").entrySet()) {
      Command.Result result = Helm.templateCommand(Map.of(bad.getKey(), bad.getValue()));
      String leaf = bad.getKey().replaceAll("\\[0\\]$", "");
      leaf = leaf.substring(leaf.lastIndexOf('.') + 1);
      assertThat(result.ok()).as("%s=%s", bad.getKey(), bad.getValue()).isFalse();
      assertThat(result.output()).as("%s=%s", bad.getKey(), bad.getValue()).contains(leaf);
    }
  }

  @Test
  void aPinnedDigestJoinsTheImageReference() {
    Rendered rendered = Helm.template(Map.of(
        "webhook.image.digest", "sha256:" + "a".repeat(64),
        "injector.sidecar.image.digest", "sha256:" + "b".repeat(64)));

    assertThat(rendered.podSpec().at("/containers/0/image").asText())
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-webhook:0.1.0-SNAPSHOT@sha256:" + "a".repeat(64));
    assertThat(InjectorConfigLoader.fromYaml("digest render", rendered.injectorConfig())
        .sidecar().image())
        .isEqualTo("ghcr.io/lanyard-dev/lanyard-sidecar:0.1.0-SNAPSHOT@sha256:" + "b".repeat(64));
  }
}
