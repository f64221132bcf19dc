package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code lanyard} CLI jar, run as a user runs it (a separate JVM with a kubeconfig), against
 * the chart installed on a real node with SPIRE: {@code identities} in every output format and
 * {@code audit} read the admin endpoints of a real javaagent and a real sidecar through the API
 * server's port-forward, {@code check --proxy} finds their SVIDs valid, and {@code check} judges the
 * installation as the real controllers left it. The JVM pod allows one peer that is not the Python
 * pod, so the Python pod's call is refused and the refusal shows in {@code identities} and {@code
 * audit}. One node and one install for the class.
 */
class CliOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster =
      new KubeNodeExtension().withSpire(SpireOptions.builder().build());

  private static final String RELEASE_NS = "lanyard-system";
  private static final String NS = "cli-it";
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(240);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String jvmId;
  private static String pythonId;

  @BeforeAll
  static void chartInstalledAndARefusedCallMade() throws Exception {
    KubeNode node = cluster.node();
    node.importImages(Images.built("webhook"), Images.built("sidecar"), Images.built("javaagent"),
        Images.built("demo-workloads"), Images.built("demo-notifier"));
    Command.run(Duration.ofMinutes(5), Tools.require("helm").toString(), "install", "lanyard",
        chartDir().toString(), "--namespace", RELEASE_NS, "--create-namespace",
        "--kubeconfig", node.kubeconfig().toString(),
        "--set", "webhook.replicas=1",
        "--set", "injector.socket.type=hostPath",
        "--set", "clusterSPIFFEID.enabled=true",
        "--wait", "--timeout", "4m").orThrow();
    node.createNamespace(NS);
    node.kubectl("label", "namespace", NS, "lanyard.dev/inject=enabled",
        "pod-security.kubernetes.io/enforce=privileged").orThrow();
    String td = cluster.spire().trustDomain();
    jvmId = "spiffe://" + td + "/ns/" + NS + "/sa/llm-gateway";
    pythonId = "spiffe://" + td + "/ns/" + NS + "/sa/notifier";
    pods("spiffe://" + td + "/ns/" + NS + "/sa/someone-else");
    node.awaitReady(NS, "jvm", POD_TIMEOUT);
    node.awaitReady(NS, "python", POD_TIMEOUT);
    awaitSvids();
    refusedCall();
  }

  @Test
  void identitiesTableShowsEachProcessItsIdAndTheLastRefusal() throws Exception {
    Run table = lanyard("identities", "-n", NS);

    assertThat(table.exit()).as(table.err()).isZero();
    List<String> lines = table.out().lines().toList();
    assertThat(lines.get(0))
        .matches("POD +CONTAINER +RUNTIME +SPIFFE ID +SERIAL +EXPIRES +INBOUND +LAST REFUSAL");
    assertThat(lines).anySatisfy(line -> assertThat(line)
        .matches("jvm +app +agent +" + quote(jvmId) + " +[0-9a-f]+ +\\S+Z +tls +\\S+Z "
            + quote(pythonId) + ": .+"));
    assertThat(lines).anySatisfy(line -> assertThat(line)
        .matches("python +lanyard-sidecar +sidecar +" + quote(pythonId) + " +[0-9a-f]+ +\\S+Z +tls +.+"));
    assertThat(lines).hasSize(3);
  }

  @Test
  void identitiesWideJsonAndYamlAgree() throws Exception {
    Run wide = lanyard("identities", "-n", NS, "-o", "wide");
    Run json = lanyard("identities", "-n", NS, "-o", "json");
    Run yaml = lanyard("identities", "-n", NS, "-o", "yaml");

    assertThat(wide.out().lines().findFirst().orElseThrow()).endsWith("ROTATIONS   PEERS");
    assertThat(wide.out()).contains("<-" + pythonId);
    JsonNode fromJson = JSON.readTree(json.out());
    JsonNode fromYaml = new ObjectMapper(new YAMLFactory()).readTree(yaml.out());
    assertThat(fromYaml).isEqualTo(fromJson);
    assertThat(fromJson.path("identities")).hasSize(2);
    JsonNode agent = row(fromJson, "jvm");
    assertThat(agent.path("runtime").asText()).isEqualTo("agent");
    assertThat(agent.path("spiffe_id").asText()).isEqualTo(jvmId);
    assertThat(agent.path("serial").asText()).matches("[0-9a-f]+");
    assertThat(agent.path("inbound_mode").asText()).isEqualTo("tls");
    assertThat(agent.path("last_refusal").asText()).contains(pythonId);
    assertThat(agent.path("error").isNull()).isTrue();
    JsonNode sidecar = row(fromJson, "python");
    assertThat(sidecar.path("container").asText()).isEqualTo("lanyard-sidecar");
    assertThat(sidecar.path("runtime").asText()).isEqualTo("sidecar");
    assertThat(sidecar.path("spiffe_id").asText()).isEqualTo(pythonId);
  }

  @Test
  void identitiesSelectsByLabelAllNamespacesAndTheContextsNamespace() throws Exception {
    Path contextInNs = Files.createTempFile("cli-it-", ".kubeconfig");
    try {
      Files.copy(node().kubeconfig(), contextInNs, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Command.run(Duration.ofSeconds(30), Tools.require("kubectl").toString(), "--kubeconfig",
          contextInNs.toString(), "config", "set-context", "--current", "--namespace", NS).orThrow();

      Run labelled = lanyard("identities", "-n", NS, "-l", "app=llm-gateway", "-o", "json");
      Run all = lanyard("identities", "-A");
      Run byContext = runCli(contextInNs, "identities", "-o", "json");

      assertThat(JSON.readTree(labelled.out()).path("identities")).singleElement()
          .satisfies(row -> assertThat(row.path("pod").asText()).isEqualTo("jvm"));
      assertThat(all.out().lines().findFirst().orElseThrow()).startsWith("NAMESPACE   POD");
      assertThat(all.out()).contains(NS + "      jvm").contains(NS + "      python");
      assertThat(JSON.readTree(byContext.out()).path("identities")).hasSize(2);
    } finally {
      Files.deleteIfExists(contextInNs);
    }
  }

  @Test
  void auditShowsTheRefusalWithItsPeerAndReason() throws Exception {
    Run denied = lanyard("audit", "-n", NS, "--denied", "-o", "json");
    Run table = lanyard("audit", "jvm", "-n", NS, "--denied");
    Thread.sleep(2_000);
    Run tooOld = lanyard("audit", "-n", NS, "--denied", "--since", "1s", "-o", "json");

    assertThat(denied.exit()).as(denied.err()).isZero();
    JsonNode records = JSON.readTree(denied.out());
    assertThat(records).isNotEmpty().allSatisfy(record ->
        assertThat(record.path("result").asText()).isEqualTo("denied"));
    assertThat(records).anySatisfy(record -> {
      assertThat(record.path("pod").asText()).isEqualTo("jvm");
      assertThat(record.path("container").asText()).isEqualTo("app");
      assertThat(record.path("spiffe_id").asText()).isEqualTo(jvmId);
      assertThat(record.path("peer_spiffe_id").asText()).isEqualTo(pythonId);
      assertThat(record.path("reason").asText()).isNotBlank();
    });
    assertThat(table.out().lines().findFirst().orElseThrow())
        .matches("TIME +POD +CONTAINER +RESULT +ACTION +PEER +REASON");
    assertThat(table.out()).contains(" jvm ").contains(" denied ").contains(pythonId);
    assertThat(JSON.readTree(tooOld.out())).as("nothing in the last second").isEmpty();
  }

  @Test
  void checkProxyFindsValidSvidsAndNoVersionSkew() throws Exception {
    Run run = lanyard("check", "--proxy", "-n", NS);

    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.out().lines().toList())
        .anySatisfy(line -> assertThat(line)
            .matches("✔ SVID of pod/jvm container app: " + quote(jvmId) + ", valid for \\S+"))
        .anySatisfy(line -> assertThat(line).matches(
            "✔ SVID of pod/python container lanyard-sidecar: " + quote(pythonId) + ", valid for \\S+"))
        .anySatisfy(line -> assertThat(line).matches("✔ version of pod/jvm: \\S+, as the webhook"))
        .anySatisfy(line -> assertThat(line).matches("✔ version of pod/python: \\S+, as the webhook"))
        .contains("all 4 checks passed");
  }

  @Test
  void checkJudgesTheInstallationAsTheControllersLeftIt() throws Exception {
    Run run = lanyard("check");

    List<String> lines = run.out().lines().toList();
    assertThat(lines)
        .contains("✔ Lanyard installation: ConfigMap lanyard-system/lanyard-webhook is valid",
            "✔ webhook Deployment lanyard-system/lanyard-webhook is ready (1/1)",
            "✔ webhook reachable from the API server (Service lanyard-system/lanyard-webhook): a"
                + " dry-run pod in " + NS + " came back injected")
        .anySatisfy(line -> assertThat(line).matches("✔ Kubernetes v1\\.\\d+\\.\\d+.*"))
        .anySatisfy(line -> assertThat(line).startsWith(
            "✔ caBundle of MutatingWebhookConfiguration lanyard-lanyard-system, webhook"
                + " inject.lanyard.dev: "))
        .anySatisfy(line -> assertThat(line).matches(
            "✔ ClusterSPIFFEID for namespace " + NS + ": lanyard-lanyard-system selects it and its"
                + " 2 pod\\(s\\)"))
        // The test kit runs the SPIRE Agent on the node itself, not as a DaemonSet: the
        // hostPath check, which looks for the DaemonSet that serves the socket, says so.
        .contains("✖ SPIRE Agent socket directory /run/spire/agent-sockets: no DaemonSet mounts"
            + " hostPath /run/spire/agent-sockets (the SPIRE Agent serves its socket there)");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(lines.get(lines.size() - 1)).isEqualTo("1 of 7 checks failed");
  }

  // --- the pods ----------------------------------------------------------------------------

  /** The JVM (LLM gateway behind a Service) allowing one peer only, and the Python notifier. */
  private static void pods(String onlyAllowedPeer) throws IOException {
    String workloads = Images.built("demo-workloads").reference();
    String notifier = Images.built("demo-notifier").reference();
    node().kubectl("-n", NS, "create", "serviceaccount", "llm-gateway").orThrow();
    node().kubectl("-n", NS, "create", "serviceaccount", "notifier").orThrow();
    apply("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: jvm
          namespace: %1$s
          labels: {app: llm-gateway}
          annotations: {lanyard.dev/startup: "wait=180s,then=fail", lanyard.dev/allowed-peers: "%3$s"}
        spec:
          serviceAccountName: llm-gateway
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
          containers:
            - name: app
              image: %2$s
              imagePullPolicy: IfNotPresent
              command: [java, -XX:+UseSerialGC, -XX:TieredStopAtLevel=1, -Xmx96m, -cp, /app/demo-workloads.jar, dev.lanyard.demo.workloads.LlmGateway]
              env: [{name: PORT, value: "8443"}]
              readinessProbe: {tcpSocket: {port: 8443}, periodSeconds: 1}
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
              volumeMounts: [{name: tmp, mountPath: /tmp}]
          volumes: [{name: tmp, emptyDir: {sizeLimit: 16Mi}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: llm-gateway, namespace: %1$s}
        spec:
          selector: {app: llm-gateway}
          ports: [{port: 443, targetPort: 8443}]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: python
          namespace: %1$s
          labels: {app: notifier}
          annotations: {lanyard.dev/inbound: "8443:8080", lanyard.dev/startup: "wait=180s,then=fail"}
        spec:
          serviceAccountName: notifier
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
          containers:
            - name: notifier
              image: %4$s
              imagePullPolicy: IfNotPresent
              command: [python3, /app/notifier.py]
              env: [{name: PORT, value: "8080"}, {name: BIND, value: "127.0.0.1"}]
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        """.formatted(NS, workloads, onlyAllowedPeer, notifier));
  }

  /** Until both admin endpoints report an SVID (the JVM fetches its own in the background). */
  private static void awaitSvids() throws Exception {
    long deadline = System.nanoTime() + POD_TIMEOUT.toNanos();
    Run last = null;
    while (System.nanoTime() < deadline) {
      last = lanyard("identities", "-n", NS, "-o", "json");
      if (last.exit() == 0) {
        JsonNode rows = JSON.readTree(last.out()).path("identities");
        boolean all = rows.size() == 2;
        for (JsonNode row : rows) {
          all &= !row.path("spiffe_id").isNull();
        }
        if (all) {
          return;
        }
      }
      Thread.sleep(1_000);
    }
    throw new AssertionError("no SVID in both pods within " + POD_TIMEOUT + ": " + last);
  }

  /** The Python app calls the JVM's Service through its sidecar; the javaagent refuses it. */
  private static void refusedCall() throws Exception {
    String script = String.join("\n",
        "import urllib.error, urllib.request",
        "try:",
        "    print(urllib.request.urlopen('http://llm-gateway." + NS + ":443/', timeout=30).status)",
        "except Exception as failed:",
        "    print('refused:', failed)");
    Command.Result call = node().exec(NS, "python", "notifier", "python3", "-c", script);
    assertThat(call.output()).as("the call the javaagent must refuse").doesNotContain("200");
  }

  // --- the CLI ----------------------------------------------------------------------------

  record Run(int exit, String out, String err) {}

  private static Run lanyard(String... args) throws Exception {
    return runCli(node().kubeconfig(), args);
  }

  /**
   * {@code java -cp lanyard-webhook.jar dev.lanyard.webhook.cli.LanyardCli ARGS --kubeconfig K},
   * as bin/lanyard runs it; standard output and error apart.
   */
  private static Run runCli(Path kubeconfig, String... args) throws Exception {
    Path jar = Path.of(System.getProperty("lanyard.webhook.jar",
        "../injector-webhook/target/lanyard-webhook.jar"));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", jar.toString(), "dev.lanyard.webhook.cli.LanyardCli"));
    command.addAll(List.of(args));
    command.addAll(List.of("--kubeconfig", kubeconfig.toString()));
    Path out = Files.createTempFile("lanyard-cli-", ".out");
    Path err = Files.createTempFile("lanyard-cli-", ".err");
    try {
      Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
          .redirectError(err.toFile()).start();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("lanyard " + String.join(" ", args) + " ran over 120 s");
      }
      return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static JsonNode row(JsonNode identities, String pod) {
    for (JsonNode row : identities.path("identities")) {
      if (row.path("pod").asText().equals(pod)) {
        return row;
      }
    }
    throw new AssertionError("no row for pod " + pod + " in " + identities);
  }

  private static String quote(String text) {
    return java.util.regex.Pattern.quote(text);
  }

  private static void apply(String yaml) throws IOException {
    Path file = Files.createTempFile("cli-it-", ".yaml");
    try {
      Files.writeString(file, yaml);
      node().kubectl("apply", "-f", file.toString()).orThrow();
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static KubeNode node() {
    return cluster.node();
  }

  private static Path chartDir() {
    return Path.of(System.getProperty("lanyard.chart.dir", "../charts/lanyard"));
  }
}
