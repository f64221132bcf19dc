package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.PortForward;
import dev.lanyard.testkit.Tools;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the node tests of the chart share: this module's images imported, {@code helm} against the
 * node, the release {@value #RELEASE} in {@value #RELEASE_NS}, manifests applied with the real
 * kubectl, the demo's pods as a user writes them (nothing of Lanyard in them), and a Lanyard
 * process's admin endpoint read through {@code kubectl port-forward}.
 */
final class ChartOnNode {
  static final String RELEASE = "lanyard";
  static final String RELEASE_NS = "lanyard-system";
  /** The chart's webhook Deployment for release {@value #RELEASE}. */
  static final String WEBHOOK_DEPLOYMENT = "lanyard-webhook";
  static final String INJECT_LABEL = "lanyard.dev/inject=enabled";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ChartOnNode() {}

  /** Imports the five images of this module into the node's containerd. */
  static void importImages(KubeNode node) {
    node.importImages(Images.built("webhook"), Images.built("sidecar"), Images.built("javaagent"),
        Images.built("demo-workloads"), Images.built("demo-notifier"));
  }

  /**
   * {@code helm install} of charts/lanyard with the socket by hostPath (no CSI driver registers
   * here), {@code --wait} until the webhook is Ready; {@code sets} are more {@code --set} values.
   */
  static void install(KubeNode node, String... sets) {
    List<String> args = new ArrayList<>(List.of("install", RELEASE, chartDir().toString(),
        "--namespace", RELEASE_NS, "--create-namespace", "--set", "injector.socket.type=hostPath"));
    for (String set : sets) {
      args.addAll(List.of("--set", set));
    }
    args.addAll(List.of("--wait", "--timeout", "4m"));
    helm(node, args.toArray(String[]::new)).orThrow();
  }

  /** Runs the real helm against the node (allowing it 5 minutes). */
  static Command.Result helm(KubeNode node, String... args) {
    List<String> command = new ArrayList<>(List.of(Tools.require("helm").toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("--kubeconfig", node.kubeconfig().toString()));
    return Command.run(Duration.ofMinutes(5), command);
  }

  /** A namespace the chart's webhook injects (and Pod Security lets the hostPath socket in). */
  static void labelledNamespace(KubeNode node, String namespace) {
    node.createNamespace(namespace);
    node.kubectl("label", "namespace", namespace, INJECT_LABEL,
        "pod-security.kubernetes.io/enforce=privileged").orThrow();
  }

  static void apply(KubeNode node, String yaml) {
    try {
      Path file = Files.createTempFile("chart-on-node-", ".yaml");
      try {
        Files.writeString(file, yaml);
        node.kubectl("apply", "-f", file.toString()).orThrow();
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The demo's LLM gateway (a JVM) as service account {@code llm-gateway} behind the Service
   * {@code llm-gateway:443}, with {@code labels} (YAML flow entries, e.g. {@code "tier: a"}) added
   * to {@code app: llm-gateway}; nothing of Lanyard but the startup annotation.
   */
  static void llmGateway(KubeNode node, String namespace, String labels) {
    node.kubectl("-n", namespace, "create", "serviceaccount", "llm-gateway").orThrow();
    apply(node, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: jvm
          namespace: %1$s
          labels: {app: llm-gateway%3$s}
          annotations: {lanyard.dev/startup: "wait=180s,then=fail"}
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
        """.formatted(namespace, Images.built("demo-workloads").reference(),
        labels.isEmpty() ? "" : ", " + labels));
  }

  /**
   * The demo's Python notifier (no JVM: it gets the sidecar) as service account {@code notifier},
   * pod {@code python}, serving plain HTTP on loopback behind {@code lanyard.dev/inbound}.
   */
  static void notifier(KubeNode node, String namespace, String labels) {
    node.kubectl("-n", namespace, "create", "serviceaccount", "notifier").orThrow();
    apply(node, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: python
          namespace: %s
          labels: {app: notifier%s}
          annotations: {lanyard.dev/inbound: "8443:8080", lanyard.dev/startup: "wait=180s,then=fail"}
        spec:
          serviceAccountName: notifier
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
          containers:
            - name: notifier
              image: %s
              imagePullPolicy: IfNotPresent
              command: [python3, /app/notifier.py]
              env: [{name: PORT, value: "8080"}, {name: BIND, value: "127.0.0.1"}]
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        """.formatted(namespace, labels.isEmpty() ? "" : ", " + labels,
        Images.built("demo-notifier").reference()));
  }

  /**
   * GET /identity of one Lanyard process, through {@code kubectl port-forward} to the admin port
   * its pod's lanyard.dev/status names, once its /ready says it holds an SVID.
   */
  static JsonNode adminIdentity(KubeNode node, Pod pod, String process, Duration readyWithin) {
    String namespace = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    int port = adminPort(pod, process);
    // /ready answers 200 once an SVID is held (the JVM's app port opens before that: the agent
    // fetches in the background and only the first handshake waits for it).
    PortForward.get(node.kubeconfig(), namespace, name, port, "/ready", readyWithin);
    return json(PortForward.get(node.kubeconfig(), namespace, name, port, "/identity",
        Duration.ofSeconds(60)));
  }

  /** The admin port of {@code process} as the pod's lanyard.dev/status records it. */
  static int adminPort(Pod pod, String process) {
    JsonNode status = json(pod.getMetadata().getAnnotations().get("lanyard.dev/status"));
    int port = status.path("adminPorts").path(process).asInt(-1);
    assertThat(port).as("admin port of %s in lanyard.dev/status %s", process, status).isPositive();
    return port;
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + text, e);
    }
  }

  static Path chartDir() {
    return Path.of(System.getProperty("lanyard.chart.dir", "../charts/lanyard"));
  }
}
