package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.PortForward;
import dev.lanyard.testkit.SpireOptions;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19's migration path on a real node with the chart: a plain-HTTP JVM server (the demo's
 * orchestrator, which serves {@code http://:8080}, image unchanged) in a labelled namespace with
 * {@code lanyard.dev/upgrade-inbound: permissive} serves an un-injected Python client in clear
 * text, counted in {@code lanyard_plaintext_connections_total} on its metrics port, and an injected
 * JVM client (another orchestrator whose plain {@code http://} call goes out as mTLS, {@code
 * lanyard.dev/upgrade-outbound: 8080=strict}) over mTLS, the server naming the client's SPIFFE ID.
 * Changing only the Deployment's annotation to {@code strict} rolls out a new pod of the same
 * image that refuses the plain client with the reason and still answers the injected one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlaintextUpgradeOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster =
      new KubeNodeExtension().withSpire(SpireOptions.builder().build());

  private static final String NS = "upgrade-it";
  private static final String PLAIN_NS = "plain-client-it";
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(240);
  private static final String SERVER_URL = "http://upgrade-server." + NS + ".svc:8080";
  /** The orchestrator's own 400 for a body without "text": the application answered. */
  private static final String APP_ANSWER = "the JSON body needs a non-empty";

  @BeforeAll
  static void chartServerAndClients() {
    ChartOnNode.importImages(node());
    ChartOnNode.install(node(), "webhook.replicas=1", "clusterSPIFFEID.enabled=true");
    ChartOnNode.labelledNamespace(node(), NS);
    node().createNamespace(PLAIN_NS);
    node().kubectl("-n", NS, "create", "serviceaccount", "upgrade-server").orThrow();
    node().kubectl("-n", NS, "create", "serviceaccount", "upgrade-client").orThrow();
    ChartOnNode.apply(node(), server("permissive") + "---\n" + jvmClient() + "---\n" + plainClient());
  }

  @Test
  @Order(1)
  void permissiveServesThePlainClientCountedAndTheInjectedClientOverMtls() {
    Pod server = awaitServer(pod -> "permissive".equals(upgradeAnnotation(pod)));
    assertThat(env(server, "LANYARD_UPGRADE_INBOUND")).as("the webhook's scope: the declared port")
        .isEqualTo("8080=permissive");
    node().awaitReady(NS, "jvm-client", POD_TIMEOUT);
    node().awaitReady(PLAIN_NS, "plain-client", POD_TIMEOUT);

    Answer plain = untilAnswered(SERVER_URL + "/assess", "{}", a -> a.status() == 400);
    assertThat(plain.body()).as("the application's own answer, in clear text").contains("non-empty");

    Answer viaJvm = untilAnswered("http://jvm-client." + NS + ".svc:8080/ask-llm",
        "{\"text\": \"hello\"}", a -> a.status() == 502 && a.body().contains("answered 400"));
    assertThat(viaJvm.body()).as("the server application's answer, through the JVM client")
        .contains("answered 400", APP_ANSWER);

    String metrics = metrics(server);
    assertThat(plaintextConnections(metrics, "allowed"))
        .as("the plain client counted on the server's metrics port: %s", metrics).isPositive();
    assertThat(plaintextConnections(metrics, "denied")).isZero();
    assertThat(inboundPeers(server)).as("the injected client, verified over mTLS by the server")
        .contains(clientId());
  }

  @Test
  @Order(2)
  void strictOnlyByTheAnnotationRefusesThePlainClientWithTheReasonAndServesTheInjectedOne() {
    String image = serverPod().getSpec().getContainers().get(0).getImage();
    node().kubectl("-n", NS, "patch", "deployment", "upgrade-server", "--type=merge", "-p",
        "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
            + "{\"lanyard.dev/upgrade-inbound\":\"strict\"}}}}}").orThrow();
    node().kubectl(Duration.ofMinutes(5), "-n", NS, "rollout", "status",
        "deployment/upgrade-server", "--timeout=4m").orThrow();
    Pod server = awaitServer(pod -> "strict".equals(upgradeAnnotation(pod)));
    assertThat(server.getSpec().getContainers().get(0).getImage()).as("same image").isEqualTo(image);
    assertThat(env(server, "LANYARD_UPGRADE_INBOUND")).isEqualTo("8080=strict");

    Answer plain = untilAnswered(SERVER_URL + "/assess", "{}", a -> a.status() == 403);
    assertThat(plain.body()).as("refused by Lanyard with the reason, not by the application")
        .startsWith("lanyard: refused plaintext.accept from ")
        .contains("to port 8080 refused: the port is strict (LANYARD_UPGRADE_INBOUND), only mTLS"
            + " with an X.509-SVID is served")
        .doesNotContain("non-empty");

    Answer viaJvm = untilAnswered("http://jvm-client." + NS + ".svc:8080/ask-llm",
        "{\"text\": \"hello\"}", a -> a.status() == 502 && a.body().contains("answered 400"));
    assertThat(viaJvm.body()).contains("answered 400", APP_ANSWER);

    String metrics = metrics(server);
    assertThat(plaintextConnections(metrics, "denied"))
        .as("the refusal counted on the new pod's metrics port: %s", metrics).isPositive();
    assertThat(plaintextConnections(metrics, "allowed")).isZero();
    assertThat(inboundPeers(server)).contains(clientId());
  }

  /** The plain-HTTP server as a Deployment (a rollout makes the new pod) behind its Service. */
  private static String server(String mode) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: upgrade-server, namespace: %1$s}
        spec:
          replicas: 1
          strategy: {type: Recreate}
          selector: {matchLabels: {app: upgrade-server}}
          template:
            metadata:
              labels: {app: upgrade-server}
              annotations: {lanyard.dev/upgrade-inbound: %2$s, lanyard.dev/startup: "wait=180s,then=fail"}
            spec:
              serviceAccountName: upgrade-server
              terminationGracePeriodSeconds: 1
              securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
              containers:
                - name: app
                  image: %3$s
                  imagePullPolicy: IfNotPresent
                  command: %4$s
                  env: %5$s
                  ports: [{name: http, containerPort: 8080}]
                  securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
                  volumeMounts: [{name: tmp, mountPath: /tmp}]
              volumes: [{name: tmp, emptyDir: {sizeLimit: 16Mi}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: upgrade-server, namespace: %1$s}
        spec:
          selector: {app: upgrade-server}
          ports: [{port: 8080, targetPort: 8080}]
        """.formatted(NS, mode, Images.built("demo-workloads").reference(), ORCHESTRATOR,
        orchestratorEnv("http://unused.invalid:1"));
  }

  /**
   * An injected JVM client: the orchestrator's {@code /ask-llm} posts to its {@code
   * LLM_GATEWAY_URL} + {@code /v1/chat/completions} with the JDK HttpClient over {@code http://};
   * pointed at the server's {@code /assess} (the rest becomes the query), whose answer it relays.
   */
  private static String jvmClient() {
    return """
        apiVersion: v1
        kind: Pod
        metadata:
          name: jvm-client
          namespace: %1$s
          labels: {app: jvm-client}
          annotations: {lanyard.dev/upgrade-outbound: "8080=strict", lanyard.dev/startup: "wait=180s,then=fail"}
        spec:
          serviceAccountName: upgrade-client
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
          containers:
            - name: app
              image: %2$s
              imagePullPolicy: IfNotPresent
              command: %3$s
              env: %4$s
              ports: [{name: http, containerPort: 8080}]
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
              volumeMounts: [{name: tmp, mountPath: /tmp}]
          volumes: [{name: tmp, emptyDir: {sizeLimit: 16Mi}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: jvm-client, namespace: %1$s}
        spec:
          selector: {app: jvm-client}
          ports: [{port: 8080, targetPort: 8080}]
        """.formatted(NS, Images.built("demo-workloads").reference(), ORCHESTRATOR,
        orchestratorEnv(SERVER_URL + "/assess?"));
  }

  /** An un-injected plain client: Python in a namespace without the label. */
  private static String plainClient() {
    return """
        apiVersion: v1
        kind: Pod
        metadata: {name: plain-client, namespace: %s}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
          containers:
            - name: python
              image: %s
              imagePullPolicy: IfNotPresent
              command: [python3, -c, "import time; time.sleep(86400)"]
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        """.formatted(PLAIN_NS, Images.built("demo-notifier").reference());
  }

  private static final String ORCHESTRATOR = "[java, -XX:+UseSerialGC, -XX:TieredStopAtLevel=1,"
      + " -Xmx96m, -cp, /app/demo-workloads.jar, dev.lanyard.demo.workloads.Orchestrator]";

  private static String orchestratorEnv(String llmGateway) {
    StringBuilder env = new StringBuilder("[{name: PORT, value: \"8080\"}");
    for (String name : List.of("CLASSIFIER_URL", "SCORER_URL", "VALIDATOR_URL", "NOTIFIER_URL",
        "NOTIFIER_FQDN_URL")) {
      env.append(", {name: ").append(name).append(", value: \"http://unused.invalid:1\"}");
    }
    return env.append(", {name: LLM_GATEWAY_URL, value: \"").append(llmGateway).append("\"}]")
        .toString();
  }

  /** One POST from the un-injected Python client. */
  private record Answer(int status, String body) {}

  private static Answer post(String url, String json) {
    String script = String.join("\n",
        "import json, sys, urllib.error, urllib.request",
        "request = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(),"
            + " headers={'Content-Type': 'application/json'})",
        "try:",
        "    answer = urllib.request.urlopen(request, timeout=60)",
        "    status, body = answer.status, answer.read().decode()",
        "except urllib.error.HTTPError as failed:",
        "    status, body = failed.code, failed.read().decode()",
        "except Exception as failed:",
        "    status, body = -1, repr(failed)",
        "print(json.dumps({'status': status, 'body': body}))");
    Command.Result run = node().kubectl(Duration.ofSeconds(90), "-n", PLAIN_NS, "exec",
        "plain-client", "-c", "python", "--", "python3", "-c", script, url, json);
    String last = run.output().lines().reduce((a, b) -> b).orElse("");
    if (!run.ok() || !last.startsWith("{")) {
      return new Answer(-2, run.output());
    }
    JsonNode answer = ChartOnNode.json(last);
    return new Answer(answer.path("status").asInt(), answer.path("body").asText());
  }

  /** Posts until {@code wanted} (the pods may still be starting), at most two minutes. */
  private static Answer untilAnswered(String url, String json, Predicate<Answer> wanted) {
    Instant deadline = Instant.now().plusSeconds(120);
    Answer last = post(url, json);
    while (!wanted.test(last) && Instant.now().isBefore(deadline)) {
      Pauses.sleep(Duration.ofSeconds(2));
      last = post(url, json);
    }
    assertThat(wanted.test(last)).as("POST %s answered %s", url, last).isTrue();
    return last;
  }

  private static Pod awaitServer(Predicate<Pod> which) {
    Instant deadline = Instant.now().plus(POD_TIMEOUT);
    while (true) {
      Pod pod = serverPod();
      if (pod != null && which.test(pod) && pod.getMetadata().getDeletionTimestamp() == null
          && KubeNode.isReady(pod)) {
        return pod;
      }
      assertThat(Instant.now()).as("a Ready server pod, last %s", pod == null ? null
          : pod.getStatus()).isBefore(deadline);
      Pauses.sleep(Duration.ofSeconds(1));
    }
  }

  /** The server's newest pod. */
  private static Pod serverPod() {
    return node().client().pods().inNamespace(NS).withLabel("app", "upgrade-server").list()
        .getItems().stream()
        .max((a, b) -> a.getMetadata().getCreationTimestamp()
            .compareTo(b.getMetadata().getCreationTimestamp()))
        .orElse(null);
  }

  private static String upgradeAnnotation(Pod pod) {
    return pod.getMetadata().getAnnotations().get("lanyard.dev/upgrade-inbound");
  }

  private static String env(Pod pod, String name) {
    return pod.getSpec().getContainers().get(0).getEnv().stream()
        .filter(variable -> variable.getName().equals(name)).findFirst()
        .map(variable -> variable.getValue()).orElse(null);
  }

  private static String metrics(Pod pod) {
    return PortForward.get(node().kubeconfig(), NS, pod.getMetadata().getName(), 15020,
        "/metrics", Duration.ofSeconds(60));
  }

  /** The sum of {@code lanyard_plaintext_connections_total} on port 8080 with {@code result}. */
  private static double plaintextConnections(String metrics, String result) {
    return metrics.lines()
        .filter(line -> line.startsWith("lanyard_plaintext_connections_total{"))
        .filter(line -> line.contains("port=\"8080\"") && line.contains("result=\"" + result + "\""))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** The SPIFFE IDs the server's javaagent saw inbound (its /identity's recent_peers). */
  private static List<String> inboundPeers(Pod pod) {
    JsonNode identity = ChartOnNode.adminIdentity(node(), pod, "app", POD_TIMEOUT);
    List<String> peers = new java.util.ArrayList<>();
    identity.path("recent_peers").forEach(peer -> {
      if (peer.path("direction").asText().equals("inbound") && peer.path("allowed").asLong() > 0) {
        peers.add(peer.path("peer").asText());
      }
    });
    return peers;
  }

  private static String clientId() {
    return "spiffe://" + cluster.spire().trustDomain() + "/ns/" + NS + "/sa/upgrade-client";
  }

  private static KubeNode node() {
    return cluster.node();
  }

}
