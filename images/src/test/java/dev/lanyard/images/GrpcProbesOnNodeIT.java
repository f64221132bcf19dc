package dev.lanyard.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.Images;
import dev.lanyard.testkit.KubeNode;
import dev.lanyard.testkit.KubeNodeExtension;
import dev.lanyard.testkit.PortForward;
import dev.lanyard.testkit.SpireOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 19, item 4, for the kubelet's {@code grpc} probes on a real node with the chart: a plain
 * gRPC-Java server (compat-apps' {@code GrpcHealthServerApp}, grpc-netty with grpc-services'
 * {@code HealthStatusManager}, image unchanged) whose pod declares {@code grpc} startup, liveness
 * and readiness probes of its port 9090, in a labelled namespace with {@code
 * lanyard.dev/upgrade-inbound: strict}. The strict port refuses the kubelet's plaintext, so the
 * webhook moves the probes to the javaagent's health port, which asks the application's health
 * service; the kubelet's own probes then make the pod Ready and keep it running, and follow the
 * application's health both ways: a readiness service answering {@code NOT_SERVING} makes the pod
 * not Ready (and Ready again when it serves), the server answering {@code NOT_SERVING} gets the
 * container restarted. The app's health is changed through its loopback control port ({@code
 * --control-port}), read through {@code kubectl port-forward}, as an operator would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrpcProbesOnNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster =
      new KubeNodeExtension().withSpire(SpireOptions.builder().build());

  private static final String NS = "grpc-probes-it";
  private static final String POD = "grpc-orders";
  private static final String SERVICE = "orders.v1.Orders";
  private static final int GRPC_PORT = 9090;
  /** The app's control port: loopback only and not declared, so not upgraded. */
  private static final int CONTROL_PORT = 9091;
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(240);
  /** The probes' period: a few of them pass within seconds. */
  private static final int PERIOD_SECONDS = 2;

  @BeforeAll
  static void chartAndGrpcServer() {
    ChartOnNode.importImages(node());
    node().importImages(Images.built("compat-grpc-java-health"));
    ChartOnNode.install(node(), "webhook.replicas=1", "clusterSPIFFEID.enabled=true");
    ChartOnNode.labelledNamespace(node(), NS);
    node().kubectl("-n", NS, "create", "serviceaccount", POD).orThrow();
    ChartOnNode.apply(node(), grpcServer());
  }

  @Test
  @Order(1)
  void theKubeletsGrpcProbesReachTheAppThroughTheRewriteAndKeepItReady() {
    Pod pod = node().awaitReady(NS, POD, POD_TIMEOUT);
    Container app = pod.getSpec().getContainers().get(0);
    assertThat(app.getImage()).as("the image as built, unchanged")
        .isEqualTo(Images.built("compat-grpc-java-health").reference());
    assertThat(app.getCommand()).as("the image's own entrypoint starts it").isNullOrEmpty();
    assertThat(env(app, "LANYARD_UPGRADE_INBOUND")).as("the annotation scoped to the declared port")
        .isEqualTo(GRPC_PORT + "=strict");
    int health = healthPort(app);

    // What the admitted pod shows: httpGet probes of the health port, no grpc left.
    assertMovedTo(app.getStartupProbe(), "/app-health/app/startupz", health);
    assertMovedTo(app.getLivenessProbe(), "/app-health/app/livez", health);
    assertMovedTo(app.getReadinessProbe(), "/app-health/app/readyz", health);
    assertThat(app.getReadinessProbe().getPeriodSeconds()).as("period kept").isEqualTo(PERIOD_SECONDS);
    JsonNode moved = ChartOnNode.json(env(app, "LANYARD_APP_PROBES"));
    assertThat(moved.path("/app-health/app/readyz").path("grpc").toString())
        .isEqualTo("{\"port\":" + GRPC_PORT + ",\"service\":\"" + SERVICE + "\"}");
    assertThat(moved.path("/app-health/app/livez").path("grpc").toString())
        .isEqualTo("{\"port\":" + GRPC_PORT + ",\"service\":\"\"}");
    assertThat(moved.path("/app-health/app/startupz").path("grpc").toString())
        .isEqualTo("{\"port\":" + GRPC_PORT + ",\"service\":\"\"}");

    // Why the move is needed: the kubelet's plaintext on the strict port is refused.
    Answer direct = curl("-X", "POST", "http://" + pod.getStatus().getPodIP() + ":" + GRPC_PORT
        + "/grpc.health.v1.Health/Check");
    assertThat(direct.status()).as("plaintext on the strict port: %s", direct).isEqualTo(403);
    assertThat(direct.body()).startsWith("lanyard: refused plaintext.accept from ")
        .contains("to port " + GRPC_PORT + " refused: the port is strict");

    // What the kubelet reads on the health port: the application's own health service.
    Answer ready = healthCheck(pod, health, "readyz");
    assertThat(ready.status()).as("%s", ready).isEqualTo(200);
    assertThat(ready.body()).startsWith("ok: gRPC health check of service \"" + SERVICE
        + "\" on port " + GRPC_PORT + " (the application at 127.0.0.1:").endsWith("answered SERVING\n");

    // Several liveness periods later (failureThreshold 3 x 2 s, twice over): still the same
    // container, never restarted, still Ready.
    String containerId = status(pod).getContainerID();
    Pauses.sleep(Duration.ofSeconds(4L * 3 * PERIOD_SECONDS));
    Pod later = pod();
    assertThat(KubeNode.isReady(later)).as("Ready after %ss", 4 * 3 * PERIOD_SECONDS).isTrue();
    assertThat(status(later).getRestartCount()).isZero();
    assertThat(status(later).getContainerID()).isEqualTo(containerId);
    // (The startup probe may fail while the JVM starts: that is what it is for.)
    assertThat(probeFailures()).as("no liveness or readiness probe failed")
        .noneMatch(message -> message.startsWith("Liveness") || message.startsWith("Readiness"));
  }

  @Test
  @Order(2)
  void aReadinessServiceNotServingMakesThePodNotReadyWithTheReasonAndReadyAgainWhenItServes() {
    Pod pod = node().awaitReady(NS, POD, POD_TIMEOUT);
    int health = healthPort(pod.getSpec().getContainers().get(0));

    assertThat(control("/set?service=" + SERVICE + "&status=NOT_SERVING"))
        .isEqualTo("\"" + SERVICE + "\" is NOT_SERVING\n");
    Pod notReady = node().awaitPod(NS, POD, "not Ready", Duration.ofSeconds(60),
        p -> !KubeNode.isReady(p));

    Answer readyz = healthCheck(notReady, health, "readyz");
    assertThat(readyz.status()).as("%s", readyz).isEqualTo(503);
    assertThat(readyz.body()).startsWith("failed: gRPC health check of service \"" + SERVICE
        + "\" on port " + GRPC_PORT + " (the application at 127.0.0.1:")
        .endsWith(") answered NOT_SERVING (only SERVING passes)\n");
    assertThat(probeFailures()).as("the kubelet's own verdict, in the pod's events")
        .anyMatch(message -> message.equals(
            "Readiness probe failed: HTTP probe failed with statuscode: 503"))
        .noneMatch(message -> message.startsWith("Liveness"));
    Answer livez = healthCheck(notReady, health, "livez");
    assertThat(livez.status()).as("the server as a whole still serves: %s", livez).isEqualTo(200);

    assertThat(control("/set?service=" + SERVICE + "&status=SERVING"))
        .isEqualTo("\"" + SERVICE + "\" is SERVING\n");
    Pod readyAgain = node().awaitReady(NS, POD, Duration.ofSeconds(60));
    assertThat(node().kubectl("-n", NS, "logs", POD).orThrow())
        .as("the reason the kubelet's event leaves out, in the container's log, once each way")
        .containsOnlyOnce("lanyard: WARN application probe /app-health/app/readyz fails (the"
            + " kubelet gets 503): failed: gRPC health check of service \"" + SERVICE + "\"")
        .containsOnlyOnce("lanyard: application probe /app-health/app/readyz passes again");
    assertThat(status(readyAgain).getRestartCount()).as("readiness never restarts").isZero();
    assertThat(status(readyAgain).getContainerID()).isEqualTo(status(pod).getContainerID());
  }

  @Test
  @Order(3)
  void theServerNotServingFailsTheLivenessProbeAndTheKubeletRestartsTheContainer() {
    // Whatever the test before left: the readiness service serving, so Ready means the server.
    control("/set?service=" + SERVICE + "&status=SERVING");
    Pod pod = node().awaitReady(NS, POD, POD_TIMEOUT);
    String before = status(pod).getContainerID();

    assertThat(control("/set?service=&status=NOT_SERVING")).isEqualTo("\"\" is NOT_SERVING\n");
    Pod restarted = node().awaitPod(NS, POD, "restarted", Duration.ofSeconds(90),
        p -> status(p) != null && status(p).getRestartCount() > 0);

    assertThat(probeFailures()).as("the kubelet's liveness verdict, in the pod's events")
        .contains("Liveness probe failed: HTTP probe failed with statuscode: 503");
    assertThat(events("Killing")).as("the kubelet says why it restarted the container")
        .anyMatch(message -> message.contains("failed liveness probe, will be restarted"));
    // The new JVM starts with everything SERVING: the moved probes let it become Ready again.
    Pod readyAgain = node().awaitReady(NS, POD, POD_TIMEOUT);
    assertThat(status(readyAgain).getContainerID()).isNotEqualTo(before);
    assertThat(status(restarted).getRestartCount()).isEqualTo(1);
  }

  /**
   * The gRPC server as a user writes it: the image's entrypoint, its port declared, grpc probes of
   * it (startup and liveness of the server, readiness of its service); nothing of Lanyard but the
   * upgrade and startup annotations.
   */
  private static String grpcServer() {
    return """
        apiVersion: v1
        kind: Pod
        metadata:
          name: %1$s
          namespace: %2$s
          labels: {app: %1$s}
          annotations: {lanyard.dev/upgrade-inbound: strict, lanyard.dev/startup: "wait=180s,then=fail"}
        spec:
          serviceAccountName: %1$s
          terminationGracePeriodSeconds: 1
          securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532}
          containers:
            - name: app
              image: %3$s
              imagePullPolicy: IfNotPresent
              args: [--port, "%4$d", --service, %5$s, --control-port, "%6$d"]
              ports: [{name: grpc, containerPort: %4$d}]
              startupProbe: {grpc: {port: %4$d}, periodSeconds: 1, failureThreshold: 180, timeoutSeconds: 2}
              livenessProbe: {grpc: {port: %4$d}, periodSeconds: %7$d, failureThreshold: 3, timeoutSeconds: 2}
              readinessProbe: {grpc: {port: %4$d, service: %5$s}, periodSeconds: %7$d, failureThreshold: 1, timeoutSeconds: 2}
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
              volumeMounts: [{name: tmp, mountPath: /tmp}]
          volumes: [{name: tmp, emptyDir: {sizeLimit: 16Mi}}]
        """.formatted(POD, NS, Images.built("compat-grpc-java-health").reference(), GRPC_PORT,
        SERVICE, CONTROL_PORT, PERIOD_SECONDS);
  }

  private static void assertMovedTo(Probe probe, String path, int healthPort) {
    assertThat(probe).as("probe moved to %s", path).isNotNull();
    assertThat(probe.getGrpc()).as("no grpc probe left: %s", probe).isNull();
    assertThat(probe.getHttpGet()).as("%s", probe).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    assertThat(probe.getHttpGet().getPort().getIntVal()).isEqualTo(healthPort);
    assertThat(probe.getHttpGet().getScheme()).isEqualTo("HTTP");
  }

  /** The javaagent's health port, from the {@code LANYARD_HEALTH_ADDRESS} the webhook set. */
  private static int healthPort(Container app) {
    String address = env(app, "LANYARD_HEALTH_ADDRESS");
    assertThat(address).as("LANYARD_HEALTH_ADDRESS").startsWith("0.0.0.0:");
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  /** The moved probe as the kubelet requests it, from the node's network. */
  private static Answer healthCheck(Pod pod, int healthPort, String kind) {
    return curl("http://" + pod.getStatus().getPodIP() + ":" + healthPort + "/app-health/app/" + kind);
  }

  /** A GET (or what {@code args} say) with curl in the node's network: status and body. */
  private record Answer(int status, String body) {}

  private static Answer curl(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "20",
        "-w", "\n%{http_code}"));
    command.addAll(List.of(args));
    Command.Result run = node().inNodeNetwork(Duration.ofSeconds(30), command.toArray(String[]::new));
    String output = run.output();
    int split = output.lastIndexOf('\n');
    try {
      return new Answer(Integer.parseInt(output.substring(split + 1).strip()),
          output.substring(0, split));
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      return new Answer(-1, output);
    }
  }

  /** A GET on the app's loopback control port, through {@code kubectl port-forward}. */
  private static String control(String pathAndQuery) {
    return PortForward.get(node().kubeconfig(), NS, POD, CONTROL_PORT, pathAndQuery,
        Duration.ofSeconds(60));
  }

  /** The messages of the pod's {@code Unhealthy} events (the kubelet's failed probes). */
  private static List<String> probeFailures() {
    return events("Unhealthy");
  }

  private static List<String> events(String reason) {
    return node().client().v1().events().inNamespace(NS).list().getItems().stream()
        .filter(event -> POD.equals(event.getInvolvedObject().getName()))
        .filter(event -> reason.equals(event.getReason()))
        .map(Event::getMessage)
        .toList();
  }

  private static Pod pod() {
    return node().client().pods().inNamespace(NS).withName(POD).get();
  }

  private static ContainerStatus status(Pod pod) {
    List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
    return statuses == null ? null : statuses.stream()
        .filter(status -> status.getName().equals("app")).findFirst().orElse(null);
  }

  private static String env(Container container, String name) {
    return container.getEnv().stream()
        .filter(variable -> variable.getName().equals(name)).findFirst()
        .map(variable -> variable.getValue()).orElse(null);
  }

  private static KubeNode node() {
    return cluster.node();
  }

}
