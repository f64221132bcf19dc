package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.TestPki;
import dev.lanyard.testkit.Wait;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every image the project ships, built by Jib in this module, imported into a real node's
 * containerd and run as a pod: the webhook serves HTTPS with the certificate it is given, the
 * sidecar follows its startup policy without SPIRE (degrade: running, not Ready; fail: exit 3),
 * the carrier copies the javaagent into an emptyDir that a JVM loads, the demo's JVM and Python
 * workloads start, and each runs as the image's user 65532. One node for all of them; the pods
 * start together.
 */
class ImagesOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster = new KubeNodeExtension();

  private static final String NS = "images-it";
  private static final String UID = "65532";
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(180);
  /** Where the SPIRE Agent socket would be: nothing is there, so no SVID ever arrives. */
  private static final String ABSENT_SOCKET = "unix:///run/spire/agent-sockets/spire-agent.sock";
  private static final String WEBHOOK_HOST = "lanyard-webhook." + NS + ".svc";
  /** The orchestrator's required peers' URLs (never called here), as YAML env items. */
  private static final String ORCHESTRATOR_ENV = String.join("\n", List.of("CLASSIFIER_URL",
      "SCORER_URL", "VALIDATOR_URL", "NOTIFIER_URL", "NOTIFIER_FQDN_URL", "LLM_GATEWAY_URL").stream()
      .map(name -> "        - {name: " + name + ", value: \"https://peer.example:443\"}").toList());

  private static TestPki webhookCa;

  @BeforeAll
  static void runEveryImage() {
    KubeNode node = cluster.node();
    Images.Image webhook = Images.built("webhook");
    Images.Image sidecar = Images.built("sidecar");
    Images.Image carrier = Images.built("javaagent");
    Images.Image workloads = Images.built("demo-workloads");
    Images.Image notifier = Images.built("demo-notifier");
    long began = System.nanoTime();
    node.importImages(webhook, sidecar, carrier, workloads, notifier);
    System.err.println("ImagesOnNodeIT: imported 5 images in "
        + Duration.ofNanos(System.nanoTime() - began).toMillis() + " ms");
    node.createNamespace(NS);

    webhookCa = TestPki.create("images-it-webhook-ca");
    TestPki.Issued tls = webhookCa.server("lanyard-webhook", List.of(WEBHOOK_HOST), List.of());
    node.client().secrets().inNamespace(NS).resource(new SecretBuilder()
        .withNewMetadata().withName("webhook-tls").endMetadata()
        .withType("kubernetes.io/tls")
        .withStringData(Map.of("tls.crt", tls.certificatePem(), "tls.key", tls.keyPem()))
        .build()).create();

    node.client().resourceList(pods(webhook, sidecar, carrier, workloads, notifier))
        .inNamespace(NS).create();
  }

  /** The pods, as the chart and the webhook would write them (security contexts included). */
  private static String pods(Images.Image webhook, Images.Image sidecar, Images.Image carrier,
      Images.Image workloads, Images.Image notifier) {
    String restricted = "{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,"
        + " capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}";
    return """
        apiVersion: v1
        kind: Pod
        metadata: {name: webhook}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true}
          containers:
            - name: webhook
              image: %1$s
              imagePullPolicy: IfNotPresent
              args: [--port=8443, --tls-cert=/etc/lanyard/tls/tls.crt, --tls-key=/etc/lanyard/tls/tls.key, --no-events]
              env: [{name: JAVA_TOOL_OPTIONS, value: "-XX:MaxRAMPercentage=75 -XX:+UseSerialGC"}]
              ports: [{name: https, containerPort: 8443}]
              readinessProbe:
                httpGet: {path: /readyz, port: https, scheme: HTTPS}
                periodSeconds: 1
              securityContext: %6$s
              volumeMounts:
                - {name: tls, mountPath: /etc/lanyard/tls, readOnly: true}
                - {name: tmp, mountPath: /tmp}
          volumes:
            - {name: tls, secret: {secretName: webhook-tls}}
            - {name: tmp, emptyDir: {sizeLimit: 64Mi}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: sidecar-degrade}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true}
          containers:
            - name: sidecar
              image: %2$s
              imagePullPolicy: IfNotPresent
              env:
                - {name: SPIFFE_ENDPOINT_SOCKET, value: "%7$s"}
                - {name: LANYARD_STARTUP, value: "wait=2s,then=degrade"}
                - {name: LANYARD_HEALTH_ADDRESS, value: "0.0.0.0:15021"}
              readinessProbe:
                httpGet: {path: /ready, port: 15021}
                periodSeconds: 1
              securityContext: %6$s
              volumeMounts: [{name: tmp, mountPath: /tmp}]
          volumes: [{name: tmp, emptyDir: {sizeLimit: 64Mi}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: sidecar-fail}
        spec:
          restartPolicy: Never
          securityContext: {runAsNonRoot: true}
          containers:
            - name: sidecar
              image: %2$s
              imagePullPolicy: IfNotPresent
              env:
                - {name: SPIFFE_ENDPOINT_SOCKET, value: "%7$s"}
                - {name: LANYARD_STARTUP, value: "wait=2s,then=fail"}
              securityContext: %6$s
              volumeMounts: [{name: tmp, mountPath: /tmp}]
          volumes: [{name: tmp, emptyDir: {sizeLimit: 64Mi}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: javaagent}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true}
          initContainers:
            # As the webhook's copy init container, minus the command: the image's own is the contract.
            - name: lanyard-javaagent
              image: %3$s
              imagePullPolicy: IfNotPresent
              securityContext: %6$s
              volumeMounts: [{name: lanyard, mountPath: /lanyard}]
          containers:
            - name: app
              image: %4$s
              imagePullPolicy: IfNotPresent
              env:
                - {name: JAVA_TOOL_OPTIONS, value: "-javaagent:/lanyard/javaagent.jar"}
                - {name: SPIFFE_ENDPOINT_SOCKET, value: "%7$s"}
                - {name: LANYARD_STARTUP, value: "wait=2s,then=degrade"}
        %8$s
              securityContext: %6$s
              volumeMounts:
                - {name: lanyard, mountPath: /lanyard, readOnly: true}
                - {name: tmp, mountPath: /tmp}
          volumes:
            - {name: lanyard, emptyDir: {sizeLimit: 64Mi}}
            - {name: tmp, emptyDir: {sizeLimit: 64Mi}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: demo-workloads}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true}
          containers:
            - name: orchestrator
              image: %4$s
              imagePullPolicy: IfNotPresent
              env:
        %8$s
              readinessProbe:
                tcpSocket: {port: 8080}
                periodSeconds: 1
              securityContext: %6$s
              volumeMounts: [{name: tmp, mountPath: /tmp}]
          volumes: [{name: tmp, emptyDir: {sizeLimit: 64Mi}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: demo-notifier}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true}
          containers:
            - name: notifier
              image: %5$s
              imagePullPolicy: IfNotPresent
              env: [{name: BIND, value: "0.0.0.0"}]
              readinessProbe:
                tcpSocket: {port: 8080}
                periodSeconds: 1
              securityContext: %6$s
        """.formatted(webhook.reference(), sidecar.reference(), carrier.reference(),
        workloads.reference(), notifier.reference(), restricted, ABSENT_SOCKET, ORCHESTRATOR_ENV);
  }

  @Test
  void theWebhookServesHttpsWithTheCertificateItIsGivenAndIsReady() throws IOException {
    Pod pod = cluster.node().awaitReady(NS, "webhook", POD_TIMEOUT);
    Path ca = Files.createTempFile("images-it-ca", ".pem");
    try {
      Files.writeString(ca, webhookCa.caPem());
      // curl verifies the chain to our CA and the name in the certificate: the TLS we gave it.
      Command.Result healthz = cluster.node().inNodeNetwork(Duration.ofSeconds(30), "curl", "-sS",
          "--cacert", ca.toString(), "--resolve", WEBHOOK_HOST + ":8443:" + pod.getStatus().getPodIP(),
          "https://" + WEBHOOK_HOST + ":8443/healthz");
      assertThat(healthz.output().strip()).isEqualTo("ok");
      Command.Result readyz = cluster.node().inNodeNetwork(Duration.ofSeconds(30), "curl", "-sS",
          "--cacert", ca.toString(), "--resolve", WEBHOOK_HOST + ":8443:" + pod.getStatus().getPodIP(),
          "https://" + WEBHOOK_HOST + ":8443/readyz");
      assertThat(readyz.output().strip()).isEqualTo("ok");
    } finally {
      Files.deleteIfExists(ca);
    }
    assertRunsAsTheImageUser("webhook", "webhook");
  }

  @Test
  void theSidecarWithoutSpireAndThenDegradeRunsButStaysNotReady() {
    Pod pod = cluster.node().awaitPod(NS, "sidecar-degrade", "listening", POD_TIMEOUT,
        p -> cluster.node().podLog(NS, "sidecar-degrade", "sidecar").contains("sidecar ready"));
    String log = cluster.node().podLog(NS, "sidecar-degrade", "sidecar");

    assertThat(log).contains("no X.509-SVID from the SPIRE Workload API at " + ABSENT_SOCKET)
        .contains("running degraded (then=degrade)")
        // BoringSSL's natives load on the Debian (glibc) base.
        .contains("lanyard: sidecar ready (degraded, ").contains("tls=OPENSSL");
    Command.Result ready = cluster.node().inNodeNetwork(Duration.ofSeconds(30), "curl", "-sS",
        "-o", "/dev/null", "-w", "%{http_code}", "http://" + pod.getStatus().getPodIP() + ":15021/ready");
    assertThat(ready.output()).isEqualTo("503");
    Pod now = cluster.client().pods().inNamespace(NS).withName("sidecar-degrade").get();
    assertThat(KubeNode.isReady(now)).as("Ready of a sidecar without an SVID").isFalse();
    assertThat(now.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
    assertRunsAsTheImageUser("sidecar-degrade", "sidecar");
  }

  @Test
  void theSidecarWithoutSpireAndThenFailExitsWithTheDocumentedCode() {
    ContainerStateTerminated ended = cluster.node().awaitTerminated(NS, "sidecar-fail", "sidecar",
        POD_TIMEOUT);

    assertThat(ended.getExitCode()).isEqualTo(3);
    assertThat(ended.getMessage()).as("the termination message the kubelet shows")
        .contains("no X.509-SVID from the SPIRE Workload API at " + ABSENT_SOCKET)
        .endsWith("; stopping the sidecar (then=fail, exit 3)");
    assertThat(cluster.node().podLog(NS, "sidecar-fail", "sidecar"))
        .contains("no X.509-SVID from the SPIRE Workload API at " + ABSENT_SOCKET);
  }

  @Test
  void theCarrierCopiesTheJavaagentThatTheWorkloadsJvmThenLoads() throws Exception {
    ContainerStateTerminated copy = cluster.node().awaitTerminated(NS, "javaagent",
        "lanyard-javaagent", POD_TIMEOUT);
    assertThat(copy.getExitCode()).isZero();
    cluster.node().awaitPod(NS, "javaagent", "orchestrator listening", POD_TIMEOUT,
        p -> cluster.node().podLog(NS, "javaagent", "app").contains("orchestrator: listening"));
    String log = cluster.node().podLog(NS, "javaagent", "app");

    assertThat(log).contains("Picked up JAVA_TOOL_OPTIONS: -javaagent:/lanyard/javaagent.jar")
        .contains("no X.509-SVID from the SPIRE Workload API at " + ABSENT_SOCKET)
        .contains("running degraded (then=degrade)")
        .contains("orchestrator: listening on http port 8080");
    // The copy is the jar this build made, written by the carrier's user.
    String copied = exec("javaagent", "app", "sh", "-c",
        "stat -c %u /lanyard/javaagent.jar && sha256sum /lanyard/javaagent.jar");
    assertThat(copied).startsWith(UID + "\n")
        .contains(sha256(Path.of("..", "javaagent", "target", "lanyard-javaagent.jar")));
    assertRunsAsTheImageUser("javaagent", "app");
  }

  @Test
  void theDemoJvmImageStartsItsDefaultWorkload() {
    cluster.node().awaitReady(NS, "demo-workloads", POD_TIMEOUT);

    assertThat(cluster.node().podLog(NS, "demo-workloads", "orchestrator"))
        .contains("orchestrator: listening on http port 8080");
    assertRunsAsTheImageUser("demo-workloads", "orchestrator");
  }

  @Test
  void theDemoPythonImageServesTheNotifier() {
    Pod pod = cluster.node().awaitReady(NS, "demo-notifier", POD_TIMEOUT);

    assertThat(cluster.node().podLog(NS, "demo-notifier", "notifier"))
        .contains("notifier: listening on http 0.0.0.0:8080");
    // Without the sidecar's X-Lanyard-Peer-Id the notifier refuses, naming why.
    Command.Result notify = cluster.node().inNodeNetwork(Duration.ofSeconds(30), "curl", "-sS",
        "-X", "POST", "-d", "{\"text\": \"t\"}", "http://" + pod.getStatus().getPodIP() + ":8080/notify");
    assertThat(notify.output()).contains("no X-Lanyard-Peer-Id");
    assertRunsAsTheImageUser("demo-notifier", "notifier");
  }

  /** No pod sets runAsUser: the uid is the image's. */
  private static void assertRunsAsTheImageUser(String pod, String container) {
    assertThat(exec(pod, container, "id", "-u").strip()).isEqualTo(UID);
  }

  private static String exec(String pod, String container, String... command) {
    StringBuilder last = new StringBuilder();
    Wait.until("exec in " + pod + "/" + container, Duration.ofSeconds(30), () -> {
      Command.Result result = cluster.node().exec(NS, pod, container, command);
      last.setLength(0);
      last.append(result.output());
      return result.ok();
    });
    return last.toString();
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
