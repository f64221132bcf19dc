package dev.lanyard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test node runs real pods: the kubelet starts them on containerd + runc with addresses from
 * the CNI bridge, kube-proxy routes a ClusterIP Service to them, CoreDNS resolves the Service by
 * name, and the JRE base image runs a JVM.
 */
class KubeNodeIT {
  @RegisterExtension
  static final KubeNodeExtension cluster = new KubeNodeExtension();

  private static final String NS = "node-it";
  private static final Duration POD_TIMEOUT = Duration.ofSeconds(120);
  /** GET /index.html from port 80 of the host named by $1, with bash's /dev/tcp (glibc resolver). */
  private static final String HTTP_GET = "exec 3<>/dev/tcp/$1/80 && printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3";

  @BeforeAll
  static void workloads() {
    KubeNode node = cluster.node();
    node.importImage(Images.require("busybox"));
    // The client runs on the Debian base: its glibc resolver reads the pod's resolv.conf (search
    // path included) as any dynamically linked program does; busybox-static's wget cannot.
    node.importImage(Images.require("jre17"));
    node.createNamespace(NS);
    String busybox = Images.require("busybox").reference();
    node.client().resourceList("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          labels: {app: web}
        spec:
          terminationGracePeriodSeconds: 1
          securityContext: {runAsUser: 65532, runAsNonRoot: true}
          containers:
            - name: web
              image: %1$s
              imagePullPolicy: IfNotPresent
              command: [sh, -c, 'mkdir -p /tmp/www && echo "served by $HOSTNAME" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www']
              ports: [{containerPort: 8080}]
              readinessProbe:
                httpGet: {path: /index.html, port: 8080}
                periodSeconds: 1
              securityContext: {allowPrivilegeEscalation: false}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: client
        spec:
          terminationGracePeriodSeconds: 1
          containers:
            - name: client
              image: %2$s
              imagePullPolicy: IfNotPresent
              command: [sleep, "3600"]
              securityContext: {allowPrivilegeEscalation: false}
        """.formatted(busybox, Images.require("jre17").reference())).inNamespace(NS).create();
  }

  @Test
  void aPodFromTheBusyboxImageRunsToReadyWithAnAddressFromTheBridge() {
    Pod web = awaitReady("web");

    assertThat(web.getStatus().getPodIP()).startsWith(KubeNode.POD_CIDR.substring(0, KubeNode.POD_CIDR.lastIndexOf('.') + 1));
    assertThat(web.getSpec().getNodeName()).isEqualTo(KubeNode.NODE_NAME);
  }

  @Test
  void aSecondPodReachesTheFirstThroughItsServiceByDnsName() {
    awaitReady("web");
    awaitReady("client");
    String clusterIp = cluster.client().services().inNamespace(NS).withName("web").get()
        .getSpec().getClusterIP();
    String fullName = "web." + NS + ".svc.cluster.local";

    assertThat(inClient("getent", "hosts", fullName)).contains(clusterIp);
    assertThat(inClient("getent", "hosts", "web")).contains(clusterIp);
    assertThat(inClient("bash", "-c", HTTP_GET, "get", fullName)).contains("served by web");
    assertThat(inClient("bash", "-c", HTTP_GET, "get", "web")).contains("served by web");
  }

  @Test
  void aJvmPodFromTheJreBaseImagePrintsItsVersionAsTheNonRootUser() {
    Images.Image jre = Images.require("jre17");
    cluster.client().resourceList("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: java-version
        spec:
          restartPolicy: Never
          containers:
            - name: java
              image: %s
              imagePullPolicy: IfNotPresent
              command: [java, -XshowSettings:properties, -version]
        """.formatted(jre.reference())).inNamespace(NS).create();

    Wait.until("pod java-version Succeeded", POD_TIMEOUT, () -> "Succeeded".equals(
        cluster.client().pods().inNamespace(NS).withName("java-version").get().getStatus().getPhase()));
    String log = cluster.client().pods().inNamespace(NS).withName("java-version").getLog();

    // The image's tag is its openjdk-17-jre-headless package version: 17.0.N_B-R_debU.
    String upstreamVersion = jre.reference().substring(jre.reference().lastIndexOf(':') + 1).split("_")[0];
    assertThat(log).contains("openjdk version \"" + upstreamVersion + "\"");
    assertThat(log).contains("user.name = nonroot");
  }

  /** Runs a command in the client pod through the API server and kubelet; retried while DNS and rules settle. */
  private static String inClient(String... command) {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("-n", NS, "exec", "client", "--"));
    args.addAll(java.util.List.of(command));
    String[] full = args.toArray(String[]::new);
    AtomicReference<String> output = new AtomicReference<>();
    AtomicReference<String> last = new AtomicReference<>("");
    try {
      Wait.until("'" + String.join(" ", command) + "' in pod client", Duration.ofSeconds(60), () -> {
        Command.Result result = cluster.node().kubectl(full);
        last.set(result.output());
        if (result.ok()) {
          output.set(result.output());
        }
        return result.ok();
      });
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + "; last output: " + last.get(), e);
    }
    return output.get();
  }

  private static Pod awaitReady(String name) {
    AtomicReference<Pod> ready = new AtomicReference<>();
    Wait.until("pod " + NS + "/" + name + " Ready", POD_TIMEOUT, () -> {
      Pod pod = cluster.client().pods().inNamespace(NS).withName(name).get();
      boolean isReady = pod != null && pod.getStatus().getConditions().stream()
          .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
      if (isReady) {
        ready.set(pod);
      }
      return isReady;
    });
    return ready.get();
  }
}
