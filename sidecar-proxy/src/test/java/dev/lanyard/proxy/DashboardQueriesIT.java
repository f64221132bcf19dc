package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.PrometheusText;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TempDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chart's Grafana dashboard ({@code charts/lanyard/dashboards/lanyard.json}) against what
 * Prometheus would really scrape: the metrics ports ({@code LANYARD_METRICS_ADDRESS}) of a real
 * sidecar and a real javaagent JVM, with SVIDs from real SPIRE, after allowed and refused traffic
 * both ways:
 *
 * <pre>
 * python client → sidecar (outbound proxy) ══mTLS══▶ JdkHttpsServerApp + javaagent   (allowed)
 * JdkHttpClientApp + javaagent (client ID) ══mTLS══▶ sidecar inbound → python app     (allowed)
 * JdkHttpClientApp + javaagent (stranger)  ══mTLS══▶ sidecar inbound, JVM server       (refused)
 * </pre>
 *
 * Every metric a panel's query names must have samples on one of the two ports, and every label
 * the query groups or matches by must be on those samples (or be a label Prometheus adds to the
 * target). The metrics ports must not carry peers' SPIFFE IDs.
 */
class DashboardQueriesIT {
  static final String SIDECAR_ID = "spiffe://lanyard.test/ns/py/sa/agent";
  static final String JVM_SERVER_ID = "spiffe://lanyard.test/ns/jvm/sa/server";
  static final String JVM_CLIENT_ID = "spiffe://lanyard.test/ns/jvm/sa/client";
  static final String STRANGER_ID = "spiffe://lanyard.test/ns/other/sa/stranger";
  static final int SIDECAR_GID = 6511;
  static final int JVM_SERVER_GID = 6512;
  static final int JVM_CLIENT_GID = 6513;
  static final int STRANGER_GID = 6514;
  static final Path DASHBOARD = Path.of("../charts/lanyard/dashboards/lanyard.json").toAbsolutePath();
  /** Labels Prometheus' Kubernetes discovery adds to every target (the PodMonitor's relabelling). */
  static final Set<String> TARGET_LABELS = Set.of("namespace", "pod", "container", "instance", "job");
  static final Pattern EXPR = Pattern.compile("\"expr\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  static final Pattern METRIC = Pattern.compile("\\blanyard_[a-z0-9_]+\\b");
  static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
  static final Pattern MATCHERS = Pattern.compile("\\{([^}]*)\\}");

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(5)).build();

  static TempDir dir;
  static ManagedProcess app;
  static JvmProcess sidecar;
  static JvmProcess jvmServer;
  static int jvmServerPort;
  static int jvmServerMetrics;
  static int sidecarMetrics;
  static int mesh;
  static int proxy;

  @BeforeAll
  static void startAndSendTraffic() {
    SpireCluster cluster = spire.cluster();
    cluster.register(SIDECAR_ID, "unix:gid:" + SIDECAR_GID);
    cluster.register(JVM_SERVER_ID, "unix:gid:" + JVM_SERVER_GID);
    cluster.register(JVM_CLIENT_ID, "unix:gid:" + JVM_CLIENT_GID);
    cluster.register(STRANGER_ID, "unix:gid:" + STRANGER_GID);
    dir = TempDir.create("lanyard-dashboard-");
    int appPort = FreePorts.next();
    mesh = FreePorts.next();
    proxy = FreePorts.next();
    jvmServerMetrics = FreePorts.next();
    sidecarMetrics = FreePorts.next();
    app = Python.app(dir, appPort);
    cluster.awaitSvidForGid(SIDECAR_GID, SIDECAR_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(JVM_SERVER_GID, JVM_SERVER_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(JVM_CLIENT_GID, JVM_CLIENT_ID, Duration.ofSeconds(30));
    cluster.awaitSvidForGid(STRANGER_GID, STRANGER_ID, Duration.ofSeconds(30));
    jvmServer = JavaagentApps.compatApp(spire, "jvm-server", JVM_SERVER_GID, "JdkHttpsServerApp",
            SIDECAR_ID, "--port", "0", "--tls", "default")
        .env("LANYARD_METRICS_ADDRESS", "127.0.0.1:" + jvmServerMetrics)
        .start();
    jvmServerPort = Integer.parseInt(
        jvmServer.awaitOutput("LISTENING port=(\\d+)", Duration.ofSeconds(60)).group(1));
    sidecar = SidecarProcess.builder("sidecar", SIDECAR_GID, cluster)
        .env("LANYARD_INBOUND", mesh + ":" + appPort)
        .env("LANYARD_OUTBOUND_PROXY", "127.0.0.1:" + proxy)
        .env("LANYARD_MESH_HOSTS", "localhost")
        .env("LANYARD_ALLOWED_PEERS", JVM_SERVER_ID + "," + JVM_CLIENT_ID)
        .env("LANYARD_METRICS_ADDRESS", "127.0.0.1:" + sidecarMetrics)
        .start();

    assertThat(Python.client("127.0.0.1:" + proxy, Duration.ofSeconds(60),
        "get", "http://localhost:" + jvmServerPort + "/hello")).contains("status 200");
    assertThat(runClient(JVM_CLIENT_GID, "https://localhost:" + mesh + "/from-jvm"))
        .contains("SUMMARY ok=2 failed=0");
    assertThat(runClient(STRANGER_GID, "https://localhost:" + mesh + "/refused"))
        .contains("SUMMARY ok=0 failed=2");
    assertThat(runClient(STRANGER_GID, "https://localhost:" + jvmServerPort + "/refused"))
        .contains("SUMMARY ok=0 failed=2");
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {sidecar, jvmServer, app, dir}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
  }

  @Test
  void everyPanelsMetricsAndLabelsHaveSamplesOnTheRealMetricsPorts() throws Exception {
    PrometheusText javaagent = PrometheusText.parse(scrape(jvmServerMetrics));
    PrometheusText sidecarText = PrometheusText.parse(scrape(sidecarMetrics));
    List<PrometheusText.Sample> samples = new ArrayList<>(javaagent.samples());
    samples.addAll(sidecarText.samples());
    List<String> queries = queries();
    assertThat(queries).as("the dashboard's queries").hasSizeGreaterThanOrEqualTo(6);

    for (String query : queries) {
      Set<String> metrics = matches(METRIC, query);
      assertThat(metrics).as("metrics in %s", query).isNotEmpty();
      Map<String, Set<String>> labelsByMetric = new LinkedHashMap<>();
      for (String metric : metrics) {
        Set<String> labels = new LinkedHashSet<>();
        samples.stream().filter(sample -> sample.name().equals(metric))
            .forEach(sample -> labels.addAll(sample.labels().keySet()));
        assertThat(samples).as("samples of %s, used by %s", metric, query)
            .anyMatch(sample -> sample.name().equals(metric));
        labelsByMetric.put(metric, labels);
      }
      for (String label : labelsOf(query)) {
        if (!TARGET_LABELS.contains(label)) {
          assertThat(labelsByMetric.values()).as("label %s of %s on %s", label, query,
              labelsByMetric).anyMatch(labels -> labels.contains(label));
        }
      }
    }
  }

  @Test
  void theTrafficShowsInThePanelsSeriesAndNoPeerIdentityIsExposed() throws Exception {
    String javaagent = scrape(jvmServerMetrics);
    String sidecarText = scrape(sidecarMetrics);
    PrometheusText agent = PrometheusText.parse(javaagent);
    PrometheusText side = PrometheusText.parse(sidecarText);

    assertThat(agent.sum("lanyard_handshakes_total", l -> "allowed".equals(l.get("outcome"))))
        .isPositive();
    assertThat(agent.sum("lanyard_refusals_total", l -> "inbound".equals(l.get("direction"))
        && "allowed_peers".equals(l.get("reason")))).as(javaagent).isPositive();
    assertThat(side.sum("lanyard_refusals_total", l -> "inbound".equals(l.get("direction"))
        && "allowed_peers".equals(l.get("reason")))).as(sidecarText).isPositive();
    assertThat(side.sum("lanyard_sidecar_connections_total")).isPositive();
    assertThat(agent.sum("lanyard_svid_expiry_seconds")).isBetween(1.0, 300.0);
    assertThat(javaagent + sidecarText).doesNotContain("spiffe://", "lanyard_denials_total");
  }

  private static String runClient(int gid, String url) {
    try (JvmProcess client = JavaagentApps.compatApp(spire, "jvm-client-" + gid, gid,
        "JdkHttpClientApp", SIDECAR_ID + "," + JVM_SERVER_ID, "--url", url, "--requests", "2",
        "--tls", "default").start()) {
      client.awaitExit(Duration.ofSeconds(90));
      return client.output();
    }
  }

  private static String scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  private static List<String> queries() {
    try {
      List<String> queries = new ArrayList<>();
      Matcher matcher = EXPR.matcher(Files.readString(DASHBOARD));
      while (matcher.find()) {
        queries.add(matcher.group(1).replace("\\\"", "\""));
      }
      return queries;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The labels a query groups by ({@code by (...)}) or matches ({@code {label="..."}}). */
  private static Set<String> labelsOf(String query) {
    Set<String> labels = new LinkedHashSet<>();
    Matcher grouping = GROUPING.matcher(query);
    while (grouping.find()) {
      for (String label : grouping.group(1).split(",")) {
        if (!label.isBlank()) {
          labels.add(label.trim());
        }
      }
    }
    Matcher matchers = MATCHERS.matcher(query);
    while (matchers.find()) {
      for (String matcher : matchers.group(1).split(",")) {
        if (matcher.contains("=")) {
          labels.add(matcher.split("[=!~]")[0].trim());
        }
      }
    }
    return labels;
  }

  private static Set<String> matches(Pattern pattern, String text) {
    Set<String> found = new LinkedHashSet<>();
    Matcher matcher = pattern.matcher(text);
    while (matcher.find()) {
      found.add(matcher.group());
    }
    return found;
  }
}
