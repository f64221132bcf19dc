package dev.lanyard.webhook.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.webhook.workload.Manifests;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI in-process, as a user runs it. */
class LanyardCliTest {
  private static final String DEPLOYMENT_AND_SERVICE =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
              - name: web
                image: eclipse-temurin:21
                env:
                  - {name: JAVA_TOOL_OPTIONS, value: -Xmx512m}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec:
        ports: [{port: 80}]
      """;

  @TempDir Path directory;

  record Run(int exitCode, String out, String err) {}

  private static Run run(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = LanyardCli.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    InputStream previous = System.in;
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    try {
      return new Run(commandLine.execute(args), out.toString(), err.toString());
    } finally {
      System.setIn(previous);
    }
  }

  @Test
  void injectPrintsEveryDocumentWithTheWorkloadInjectedAndTheRestUntouched() {
    Run run = run(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-", "-n", "shop", "--offline");

    assertThat(run.exitCode()).isEqualTo(0);
    List<JsonNode> objects = Manifests.read(new StringReader(run.out()), "output");
    assertThat(objects).hasSize(2);
    JsonNode container = objects.get(0).at("/spec/template/spec/containers/0");
    assertThat(container.path("env").toString())
        .contains("-Xmx512m -javaagent:/lanyard/javaagent.jar");
    assertThat(objects.get(0).at("/spec/template/metadata/annotations").has("lanyard.dev/status"))
        .isTrue();
    assertThat(objects.get(1))
        .isEqualTo(Manifests.read(new StringReader(DEPLOYMENT_AND_SERVICE), "in").get(1));
  }

  @Test
  void injectShowsAProbeOfAStrictPortMovedToTheHealthPortAndItsOriginal() {
    Run run =
        run(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: orders, namespace: shop}
            spec:
              containers:
                - name: orders
                  image: eclipse-temurin:21
                  ports: [{name: http, containerPort: 8080}]
                  env: [{name: LANYARD_UPGRADE_INBOUND, value: "8080=strict"}]
                  readinessProbe: {httpGet: {path: /health, port: http}}
            """,
            "inject",
            "-f",
            "-",
            "--offline");

    assertThat(run.exitCode()).isEqualTo(0);
    JsonNode container =
        Manifests.read(new StringReader(run.out()), "output").get(0).at("/spec/containers/0");
    assertThat(container.at("/readinessProbe/httpGet").toString())
        .isEqualTo("{\"path\":\"/app-health/orders/readyz\",\"port\":15022,\"scheme\":\"HTTP\"}");
    assertThat(container.path("env").toString())
        .contains("LANYARD_APP_PROBES")
        .contains("{\\\"/app-health/orders/readyz\\\":{\\\"httpGet\\\":{\\\"path\\\":"
            + "\\\"/health\\\",\\\"port\\\":8080");
  }

  @Test
  void injectShowsAGrpcProbeOfAStrictPortMovedToTheHealthPortWithItsService() {
    Run run =
        run(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: inventory, namespace: shop}
            spec:
              containers:
                - name: inventory
                  image: eclipse-temurin:21
                  ports: [{name: grpc, containerPort: 9090}]
                  env: [{name: LANYARD_UPGRADE_INBOUND, value: "9090=strict"}]
                  livenessProbe: {grpc: {port: 9090, service: inventory.v1.Inventory}}
            """,
            "inject",
            "-f",
            "-",
            "--offline");

    assertThat(run.exitCode()).isEqualTo(0);
    JsonNode container =
        Manifests.read(new StringReader(run.out()), "output").get(0).at("/spec/containers/0");
    assertThat(container.at("/livenessProbe").has("grpc")).isFalse();
    assertThat(container.at("/livenessProbe/httpGet").toString())
        .isEqualTo("{\"path\":\"/app-health/inventory/livez\",\"port\":15022,\"scheme\":\"HTTP\"}");
    assertThat(container.path("env").toString())
        .contains("{\\\"/app-health/inventory/livez\\\":{\\\"grpc\\\":{\\\"port\\\":9090,"
            + "\\\"service\\\":\\\"inventory.v1.Inventory\\\"}");
    assertThat(run.err()).as("no warning: it moved").doesNotContain("cannot move it");
  }

  @Test
  void injectingTheOutputAgainChangesNothing() {
    String once = run(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-", "--offline").out();

    assertThat(run(once, "inject", "-f", "-", "--offline").out()).isEqualTo(once);
  }

  @Test
  void injectReportsSkipsOnStandardError() throws Exception {
    Path file =
        Files.writeString(
            directory.resolve("pod.yaml"),
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: tool, annotations: {lanyard.dev/mode: none}}
            spec: {containers: [{name: tool, image: busybox}]}
            """);

    Run run = run("", "inject", "-f", file.toString(), "--offline");

    assertThat(run.exitCode()).isEqualTo(0);
    assertThat(run.err())
        .contains("pod/tool not injected (invalid_annotation)")
        .contains("lanyard.dev/mode=\"none\"");
    assertThat(run.out()).doesNotContain("lanyard.dev/status");
  }

  @Test
  void aConfigFileChangesTheImages() throws Exception {
    Path config =
        Files.writeString(
            directory.resolve("config.yaml"), "javaagent: {image: mirror.example/javaagent:1}\n");

    Run run = run(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-", "--config", config.toString());

    assertThat(run.out()).contains("mirror.example/javaagent:1");
  }

  @Test
  void checkInjectSaysWhichRuntimeItChoseForJibAndBuildpacksImages() {
    Run run =
        run(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: shop, namespace: agents}
            spec:
              containers:
                - {name: orders, image: "gcr.io/acme/orders:1.2"}
                - {name: billing, image: "registry.example/shop/billing:7.3", command: [launcher]}
            """,
            "check-inject",
            "-f",
            "-",
            "--offline");

    assertThat(run.exitCode()).isEqualTo(0);
    assertThat(run.out())
        .contains(
            "container orders: javaagent+sidecar, runtime unknown (image gcr.io/acme/orders:1.2"
                + " names no runtime and the pod sets no command, so the image's own entrypoint"
                + " decides what runs (a Jib image starts java there); configured default unknown:"
                + " the javaagent (JAVA_TOOL_OPTIONS, ignored unless a JVM starts) and the sidecar"
                + " (HTTP_PROXY, ignored by a JVM); set lanyard.dev/runtime.<container>=jvm or"
                + " other to choose one)")
        .contains(
            "container billing: javaagent+sidecar, runtime unknown (its command launcher is the"
                + " Cloud Native Buildpacks launcher");
  }

  @Test
  void checkInjectExplainsEachContainerAndWhy() {
    Run run =
        run(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: mixed, namespace: agents}
            spec:
              containers:
                - {name: planner, image: eclipse-temurin:21}
                - {name: ui, image: node:20}
            """,
            "check-inject",
            "-f",
            "-",
            "--offline");

    assertThat(run.exitCode()).isEqualTo(0);
    assertThat(run.out())
        .contains("pod/mixed (namespace agents): would be injected")
        .contains(
            "container planner: javaagent, runtime jvm (image eclipse-temurin:21 names temurin)")
        .contains("container ui: sidecar, runtime other")
        .contains("lanyard.dev/inject=enabled");
  }

  @Test
  void checkInjectSaysWhyNot() {
    Run run =
        run(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: dns, namespace: kube-system}
            spec: {containers: [{name: dns, image: coredns}]}
            """,
            "check-inject",
            "-f",
            "-",
            "--offline");

    assertThat(run.out())
        .contains("pod/dns (namespace kube-system): would NOT be injected: system_namespace");
  }

  @Test
  void userErrorsAreOneLineAndExitOne() {
    Run missing = run("", "inject", "-f", directory.resolve("absent.yaml").toString(), "--offline");
    Run badYaml = run("kind: [", "inject", "-f", "-", "--offline");
    Run badConfig =
        run(
            DEPLOYMENT_AND_SERVICE,
            "inject",
            "-f",
            "-",
            "--config",
            directory.resolve("none.yaml").toString());

    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err().strip())
        .isEqualTo("lanyard inject: no such file: " + directory.resolve("absent.yaml"));
    assertThat(badYaml.exitCode()).isEqualTo(1);
    assertThat(badYaml.err()).contains("standard input is not valid YAML").doesNotContain("\tat ");
    assertThat(badConfig.exitCode()).isEqualTo(1);
    assertThat(badConfig.err()).contains("none.yaml");
  }

  @Test
  void withoutAClusterInjectSaysHowToWorkOffline() throws Exception {
    Path kubeconfig =
        Files.writeString(
            directory.resolve("kubeconfig"),
            """
            apiVersion: v1
            kind: Config
            clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: me, user: {token: t}}]
            contexts: [{name: gone, context: {cluster: gone, user: me}}]
            current-context: gone
            """);

    Run run =
        run(DEPLOYMENT_AND_SERVICE, "inject", "-f", "-", "--kubeconfig", kubeconfig.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("lanyard inject: cannot read the injector configuration from the cluster at"
            + " https://127.0.0.1:1/: ")
        .endsWith("; pass --config FILE or --offline to work without a cluster\n")
        .doesNotContain("\tat ");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void versionNamesTheImages() {
    Run run = run("", "version");

    assertThat(run.out())
        .startsWith("lanyard ")
        .contains("javaagent image: ")
        .contains("sidecar image: ");
  }
}
