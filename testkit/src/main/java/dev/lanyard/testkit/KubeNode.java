package dev.lanyard.testkit;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A real single-node Kubernetes cluster: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, containerd (CRI) with runc and a CNI bridge, kubelet, kube-proxy (iptables
 * mode, so Services route) and CoreDNS as the cluster DNS ({@code kube-dns}, 10.96.0.10), all
 * v1.35.4 as built by {@code scripts/install-tools.sh}, running as root.
 *
 * <p>Everything runs inside the node's own network namespace ({@link NodeNetwork}): the node is
 * reachable from this machine only through its veth pair, at {@link #nodeIp()}; pods get
 * addresses from {@value #POD_CIDR} on the namespace's bridge. Each component authenticates with
 * its own client certificate from the cluster's CA (the kubelet as {@code system:node:NAME} under
 * Node authorization, the kubelet's API under Webhook authorization); the client this class hands
 * out is cluster-admin. Images come from docker-archive tarballs ({@link #importImage}).
 *
 * <p>Closing it deletes every pod, stops every process (container shims and their children too),
 * unmounts what containerd and the kubelet mounted, removes the node's cgroups, network namespace
 * and directory, and restores the sysctls the kubelet changes. One node runs at a time on a
 * machine ({@link NodeLock}).
 */
public final class KubeNode implements AutoCloseable {
  public static final String NODE_NAME = "lanyard-node";
  public static final String POD_CIDR = "10.244.0.0/24";
  public static final String CLUSTER_DNS_IP = "10.96.0.10";
  static final String KUBERNETES_SERVICE_IP = "10.96.0.1";
  static final String CLUSTER_CIDR = "10.244.0.0/16";
  private static final int API_PORT = 6443;

  /** Names this node's network namespace, veth pair, cgroups and CNI network. */
  private final String id = HexFormat.of().formatHex(randomBytes());
  private final Map<String, Duration> stepTimes = new LinkedHashMap<>();
  /** The start-up step under way (named in the one-line failure). */
  private String currentStep = "lock";
  private final List<ManagedProcess> components = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::teardown, "testkit-stop-kube-node");
  private TempDir dir;
  private NodeLock lock;
  private KernelTunables tunables;
  private NodeNetwork network;
  private NodeCgroups cgroups;
  private KubeApiServer api;
  private Containerd containerd;
  private Duration startTime;
  private boolean closed;
  /**
   * Paths outside our directory that the kubelet, containerd's shims, libcni or {@code ip netns}
   * create at fixed places when missing (deepest first); teardown removes each one that did not
   * exist before the node, directories only when empty.
   */
  static final List<Path> HOST_DIRS = List.of(Path.of("/var/log/containers"),
      Path.of("/var/lib/cni/results"), Path.of("/var/lib/cni"),
      Path.of("/var/lib/kubelet/device-plugins/kubelet.sock"), Path.of("/var/lib/kubelet/device-plugins"),
      Path.of("/var/lib/kubelet"), Path.of("/run/containerd/s"), Path.of("/run/containerd/fifo"),
      Path.of("/run/containerd/runc"), Path.of("/run/containerd"), Path.of("/run/netns"));
  private final List<Path> hostDirsBefore = new ArrayList<>();

  private KubeNode() {}

  /**
   * Starts the node and waits until it is Ready and cluster DNS answers. On failure it cleans up
   * and throws with one line naming the step and the reason, followed by the components' logs.
   */
  public static KubeNode start() {
    KubeNode node = new KubeNode();
    try {
      node.lock = NodeLock.acquire(Duration.ofMinutes(20));
      Runtime.getRuntime().addShutdownHook(node.shutdownHook);
      long began = System.nanoTime(); // after the lock: time waiting for another node is not ours
      node.step("tools", node::requireTools);
      node.step("network", node::createNetwork);
      node.step("control plane", node::startControlPlane);
      node.step("containerd", node::startContainerd);
      node.step("kubelet", node::startKubelet);
      node.step("kube-proxy", node::startKubeProxy);
      node.step("node Ready", node::awaitNodeReady);
      node.step("service routing", node::awaitServiceRules);
      node.step("cluster DNS", node::startClusterDns);
      node.startTime = Duration.ofNanos(System.nanoTime() - began);
      System.err.println("testkit: kube node " + NODE_NAME + " (" + node.nodeIp() + ") ready in "
          + seconds(node.startTime) + " " + node.stepTimes.entrySet().stream()
              .map(entry -> entry.getKey() + " " + seconds(entry.getValue())).toList());
      return node;
    } catch (RuntimeException e) {
      String logs = node.logs();
      node.close();
      throw new IllegalStateException("kube node did not start: step '" + node.currentStep
          + "' failed: " + firstLine(e.getMessage()) + "\n" + logs, e);
    }
  }

  public String nodeName() {
    return NODE_NAME;
  }

  /** The node's address (kube-apiserver and kubelet listen on it); reachable from this machine. */
  public String nodeIp() {
    return network.nodeIp();
  }

  /** How long {@link #start()} took, not counting a wait for another node to finish. */
  public Duration startTime() {
    return startTime;
  }

  /** The per-step durations of {@link #start()}, in order. */
  public Map<String, Duration> stepTimes() {
    return Map.copyOf(stepTimes);
  }

  public KubeApiServer apiServer() {
    return api;
  }

  /** A cluster-admin client (closed with the node). */
  public KubernetesClient client() {
    return api.adminClient();
  }

  /** A cluster-admin kubeconfig, for kubectl and helm. */
  public Path kubeconfig() {
    return api.kubeconfig();
  }

  /** Runs the real kubectl against the node. */
  public Command.Result kubectl(String... args) {
    return api.kubectl(args);
  }

  /** Runs the real kubectl against the node, allowing it {@code timeout}. */
  public Command.Result kubectl(Duration timeout, String... args) {
    return api.kubectl(timeout, args);
  }

  /** The node's containerd socket, for {@code ctr --address SOCKET -n k8s.io ...} (make e2e). */
  public Path containerdSocket() {
    return containerd.socket();
  }

  /** Imports an image into the node's containerd; pods use it with {@code IfNotPresent}. */
  public void importImage(Images.Image image) {
    containerd.importImage(image.tarball());
  }

  /** Creates a namespace and waits for its {@code default} ServiceAccount (pods need it). */
  public void createNamespace(String name) {
    client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .endMetadata().build()).create();
    Wait.until("ServiceAccount " + name + "/default", Duration.ofSeconds(60),
        () -> client().serviceAccounts().inNamespace(name).withName("default").get() != null);
  }

  /** Imports each image into the node's containerd (one {@code ctr images import} each). */
  public void importImages(Images.Image... images) {
    for (Images.Image image : images) {
      importImage(image);
    }
  }

  /**
   * Waits until the pod satisfies {@code condition} and returns it; the failure names
   * {@code what} and the pod's phase and container states as last seen.
   */
  public Pod awaitPod(String namespace, String name, String what, Duration timeout,
      Predicate<Pod> condition) {
    AtomicReference<Pod> last = new AtomicReference<>();
    try {
      Wait.until("pod " + namespace + "/" + name + " " + what, timeout, () -> {
        last.set(client().pods().inNamespace(namespace).withName(name).get());
        return last.get() != null && last.get().getStatus() != null && condition.test(last.get());
      });
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "; pod status: " + describeStatus(last.get()), e);
    }
    return last.get();
  }

  /** Waits until the pod's Ready condition is True. */
  public Pod awaitReady(String namespace, String name, Duration timeout) {
    return awaitPod(namespace, name, "Ready", timeout, KubeNode::isReady);
  }

  public static boolean isReady(Pod pod) {
    return pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }

  /** Waits until a container (app or init) of the pod has terminated and returns how it ended. */
  public ContainerStateTerminated awaitTerminated(String namespace, String pod, String container,
      Duration timeout) {
    Pod done = awaitPod(namespace, pod, "container " + container + " terminated", timeout,
        p -> terminated(p, container) != null);
    return terminated(done, container);
  }

  private static ContainerStateTerminated terminated(Pod pod, String container) {
    return containerStatuses(pod).stream().filter(status -> status.getName().equals(container))
        .map(status -> status.getState() == null ? null : status.getState().getTerminated())
        .filter(java.util.Objects::nonNull).findFirst().orElse(null);
  }

  /** The log of one container of a pod (as {@code kubectl logs}). */
  public String podLog(String namespace, String pod, String container) {
    return client().pods().inNamespace(namespace).withName(pod).inContainer(container).getLog();
  }

  /** Runs a command in a container through the API server and kubelet ({@code kubectl exec}). */
  public Command.Result exec(String namespace, String pod, String container, String... command) {
    List<String> args = new ArrayList<>(List.of("-n", namespace, "exec", pod, "-c", container, "--"));
    args.addAll(List.of(command));
    return kubectl(args.toArray(String[]::new));
  }

  /**
   * Runs a host command (curl, say) inside the node's network namespace, where pod addresses
   * route over the CNI bridge: a client that sees the pod as the node's components do.
   */
  public Command.Result inNodeNetwork(Duration timeout, String... command) {
    return network.run(timeout, command);
  }

  /** The init containers' statuses, then the app containers'. */
  private static List<ContainerStatus> containerStatuses(Pod pod) {
    List<ContainerStatus> statuses = new ArrayList<>();
    if (pod.getStatus().getInitContainerStatuses() != null) {
      statuses.addAll(pod.getStatus().getInitContainerStatuses());
    }
    if (pod.getStatus().getContainerStatuses() != null) {
      statuses.addAll(pod.getStatus().getContainerStatuses());
    }
    return statuses;
  }

  private static String describeStatus(Pod pod) {
    if (pod == null || pod.getStatus() == null) {
      return "(no pod)";
    }
    StringBuilder out = new StringBuilder("phase ").append(pod.getStatus().getPhase());
    for (ContainerStatus status : containerStatuses(pod)) {
      out.append("; ").append(status.getName()).append(" ready=").append(status.getReady())
          .append(" restarts=").append(status.getRestartCount()).append(' ').append(status.getState());
    }
    return out.toString();
  }

  /** The node's directory (containerd's root and state, the kubelet's root, logs). */
  Path directory() {
    return dir.path();
  }

  String networkNamespace() {
    return network.namespace();
  }

  String cgroupRoot() {
    return cgroups.root();
  }

  /** The tail of every component's log, for failure reports. */
  public String logs() {
    StringBuilder out = new StringBuilder();
    if (api != null) {
      out.append(api.logs());
    }
    for (ManagedProcess process : components) {
      out.append("---- ").append(process.name()).append(" log (").append(process.log())
          .append(") ----\n").append(process.tail(40)).append('\n');
    }
    return out.toString();
  }

  @Override
  public void close() {
    teardown();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the JVM is shutting down (the hook runs or ran), or start failed before registering it
    }
  }

  private synchronized void teardown() {
    if (closed) {
      return;
    }
    closed = true;
    List<String> left = new ArrayList<>();
    if (api != null && containerd != null) {
      left.addAll(deletePods());
    }
    for (int i = components.size() - 1; i >= 0; i--) {
      components.get(i).stop(Duration.ofSeconds(10));
    }
    if (containerd != null) {
      left.addAll(containerd.stop());
    }
    if (api != null) {
      api.close();
    }
    if (dir != null) {
      left.addAll(Mounts.unmountAll(dir.path()));
      removeContainerLogLinks();
      removeCniResults();
    }
    if (cgroups != null) {
      left.addAll(cgroups.remove());
    }
    if (network != null) {
      network.close();
    }
    if (dir != null) {
      removeHostDirsWeCreated(); // after the namespace: ip netns keeps /run/netns busy until then
    }
    if (tunables != null) {
      left.addAll(tunables.restore());
    }
    if (dir != null && left.stream().noneMatch(line -> line.startsWith("still mounted"))) {
      dir.close();
    }
    if (lock != null) {
      lock.close();
    }
    if (!left.isEmpty()) {
      System.err.println("testkit: the kube node left behind:\n  " + String.join("\n  ", left));
    }
  }

  /**
   * Stops the controllers first so nothing recreates pods, deletes every pod and waits for
   * containerd to have no running task: the kubelet then stopped each sandbox through CNI, which
   * releases its address and its NAT rules.
   */
  private List<String> deletePods() {
    components.stream().filter(process -> process.name().startsWith("kube-controller-manager")
        || process.name().startsWith("kube-scheduler")).forEach(process -> process.stop(Duration.ofSeconds(5)));
    boolean kubeletAlive = components.stream()
        .anyMatch(process -> process.name().equals("kubelet") && process.isAlive());
    if (!kubeletAlive) {
      return List.of("the kubelet was not running to stop the pods; their shims were killed");
    }
    if (!api.kubectl("delete", "pods", "--all", "--all-namespaces", "--grace-period=1",
        "--wait=false").ok()) {
      return List.of("could not delete the pods (kube-apiserver down?); their shims were killed");
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (containerd.runningTasks().isEmpty()) {
        return List.of();
      }
      ManagedProcess.sleep(500);
    }
    return List.of("containers still running 60 s after their pods were deleted: "
        + containerd.runningTasks() + "; their shims were killed");
  }

  /** The kubelet links each container's log into /var/log/containers; the links point into our dir. */
  private void removeContainerLogLinks() {
    Path links = Path.of("/var/log/containers");
    if (!Files.isDirectory(links)) {
      return;
    }
    try (var entries = Files.list(links)) {
      for (Path link : entries.toList()) {
        if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).startsWith(dir.path())) {
          Files.deleteIfExists(link);
        }
      }
    } catch (IOException e) {
      System.err.println("testkit: could not clean /var/log/containers: " + e);
    }
  }

  /**
   * libcni caches each attachment's result in /var/lib/cni/results (containerd 1.6 has no setting
   * for it) and removes it when the sandbox is stopped; this removes what a killed sandbox left.
   */
  private void removeCniResults() {
    Path results = Path.of("/var/lib/cni/results");
    if (!Files.isDirectory(results)) {
      return;
    }
    try (var entries = Files.list(results)) {
      for (Path entry : entries.toList()) {
        if (entry.getFileName().toString().startsWith(networkName() + "-")) {
          Files.deleteIfExists(entry);
        }
      }
    } catch (IOException e) {
      System.err.println("testkit: could not clean " + results + ": " + e);
    }
  }

  private void removeHostDirsWeCreated() {
    for (Path hostDir : HOST_DIRS) {
      if (!hostDirsBefore.contains(hostDir)) {
        try {
          if (Mounts.under(hostDir).contains(hostDir.toString()) && isEmptyDirectory(hostDir)) {
            // ip netns add bind-mounts /run/netns onto itself
            Command.run(Duration.ofSeconds(10), "umount", hostDir.toString());
          }
          Files.deleteIfExists(hostDir); // only when empty: anything else there is not ours
        } catch (IOException e) {
          System.err.println("testkit: left " + hostDir + ": " + e);
        }
      }
    }
  }

  private static boolean isEmptyDirectory(Path path) throws IOException {
    try (var entries = Files.list(path)) {
      return entries.findAny().isEmpty();
    }
  }

  /** The CNI network's name (unique per node: its cached results are told apart by it). */
  private String networkName() {
    return "lanyard-" + id;
  }

  private void requireTools() {
    for (String tool : List.of("etcd", "kube-apiserver", "kubectl", "kube-controller-manager",
        "kube-scheduler", "kubelet", "kube-proxy")) {
      Tools.require(tool);
    }
    Images.require("pause");
    Images.require("coredns");
    for (String command : List.of("nsenter", "ip", "iptables", "umount", "curl")) {
      if (Command.run(Duration.ofSeconds(5), "sh", "-c", "command -v " + command).exitCode() != 0) {
        throw new IllegalStateException(command + " is not installed (scripts/install-tools.sh"
            + " installs iptables and curl; nsenter and umount come with util-linux, ip with iproute2)");
      }
    }
    if (Command.currentUid() != 0) {
      throw new IllegalStateException("a kube node needs root (network namespaces, mounts,"
          + " cgroups); run the tests as root, as CI does");
    }
  }

  private void createNetwork() {
    HOST_DIRS.stream().filter(path -> Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS))
        .forEach(hostDirsBefore::add);
    dir = TempDir.create("lanyard-node-");
    tunables = KernelTunables.record();
    network = NodeNetwork.create(id);
  }

  private void startControlPlane() {
    TestPki pki = TestPki.create("lanyard-node-ca");
    Path pkiDir = dir.dir("pki");
    KubeApiServer.write(pkiDir.resolve("ca.crt"), pki.caPem());
    TestPki.Issued kubeletClient = pki.client("kube-apiserver-kubelet-client", "system:masters");
    Path clientCert = KubeApiServer.write(pkiDir.resolve("apiserver-kubelet-client.crt"),
        kubeletClient.certificatePem());
    Path clientKey = KubeApiServer.write(pkiDir.resolve("apiserver-kubelet-client.key"),
        kubeletClient.keyPem());
    KubeApiServer.Placement placement = new KubeApiServer.Placement(network.nodeIp(), API_PORT,
        network.launcher(), List.of(KUBERNETES_SERVICE_IP), List.of(
            "--authorization-mode", "Node,RBAC",
            "--enable-admission-plugins", "NodeRestriction",
            "--kubelet-client-certificate", clientCert.toString(),
            "--kubelet-client-key", clientKey.toString(),
            "--kubelet-certificate-authority", pkiDir.resolve("ca.crt").toString(),
            "--kubelet-preferred-address-types", "InternalIP"));
    api = KubeApiServer.start(TempDir.create("lanyard-node-control-plane-"), pki, placement);
    Path controllerManagerConfig = kubeconfigFor("kube-controller-manager",
        pki.client("system:kube-controller-manager", null));
    components.add(startComponent("kube-controller-manager",
        "--kubeconfig", controllerManagerConfig.toString(),
        "--authentication-kubeconfig", controllerManagerConfig.toString(),
        "--authorization-kubeconfig", controllerManagerConfig.toString(),
        "--bind-address", "127.0.0.1",
        "--cert-dir", dir.dir("kube-controller-manager").toString(),
        "--leader-elect=false",
        "--use-service-account-credentials=true",
        "--service-account-private-key-file", api.serviceAccountKey().toString(),
        "--root-ca-file", pkiDir.resolve("ca.crt").toString(),
        "--cluster-cidr", CLUSTER_CIDR,
        "--allocate-node-cidrs=false",
        "--service-cluster-ip-range", KubeApiServer.SERVICE_CIDR,
        "--v", "0"));
    Path schedulerConfig = kubeconfigFor("kube-scheduler", pki.client("system:kube-scheduler", null));
    components.add(startComponent("kube-scheduler",
        "--kubeconfig", schedulerConfig.toString(),
        "--authentication-kubeconfig", schedulerConfig.toString(),
        "--authorization-kubeconfig", schedulerConfig.toString(),
        "--bind-address", "127.0.0.1",
        "--cert-dir", dir.dir("kube-scheduler").toString(),
        "--leader-elect=false",
        "--v", "0"));
  }

  private void startContainerd() {
    cgroups = new NodeCgroups("lanyard-" + id);
    cgroups.create();
    containerd = new Containerd(dir.dir("containerd"));
    Images.Image pause = Images.require("pause");
    containerd.start(network.launcher(), networkName(), POD_CIDR, pause.reference());
    components.add(containerd.process());
    containerd.importImage(pause.tarball());
    containerd.importImage(Images.require("coredns").tarball());
  }

  private void startKubelet() {
    TestPki pki = api.pki();
    Path pkiDir = dir.path().resolve("pki");
    TestPki.Issued serving = pki.server(NODE_NAME, List.of(NODE_NAME), List.of(network.nodeIp()));
    Path cert = KubeApiServer.write(pkiDir.resolve("kubelet.crt"), serving.certificatePem());
    Path key = KubeApiServer.write(pkiDir.resolve("kubelet.key"), serving.keyPem());
    Path kubeconfig = kubeconfigFor("kubelet", pki.client("system:node:" + NODE_NAME, "system:nodes"));
    // Pods with dnsPolicy Default (CoreDNS itself) get no upstream: the node reaches nothing
    // outside, and cluster names are all the tests resolve.
    Path resolvConf = KubeApiServer.write(dir.path().resolve("resolv.conf"), "# no upstream\n");
    Path config = KubeApiServer.write(dir.path().resolve("kubelet.yaml"), """
        apiVersion: kubelet.config.k8s.io/v1beta1
        kind: KubeletConfiguration
        address: %s
        port: 10250
        readOnlyPort: 0
        healthzBindAddress: 127.0.0.1
        healthzPort: 10248
        tlsCertFile: %s
        tlsPrivateKeyFile: %s
        authentication:
          anonymous:
            enabled: false
          webhook:
            enabled: true
          x509:
            clientCAFile: %s
        authorization:
          mode: Webhook
        cgroupDriver: cgroupfs
        cgroupRoot: %s
        failCgroupV1: false
        failSwapOn: false
        containerRuntimeEndpoint: unix://%s
        clusterDNS: [%s]
        clusterDomain: cluster.local
        resolvConf: %s
        podLogsDir: %s
        volumePluginDir: %s
        # The eviction manager cannot read this machine's overlay on /dev/vda; keep it quiet.
        evictionHard:
          memory.available: 50Mi
          nodefs.available: 1%%
          nodefs.inodesFree: 1%%
          imagefs.available: 1%%
        # Imported images cannot be pulled again: never collect them.
        imageGCHighThresholdPercent: 100
        imageGCLowThresholdPercent: 99
        serializeImagePulls: false
        rotateCertificates: false
        """.formatted(network.nodeIp(), cert, key, pkiDir.resolve("ca.crt"), cgroups.root(),
        containerd.socket(), CLUSTER_DNS_IP, resolvConf, dir.dir("pod-logs"),
        dir.dir("volume-plugins")));
    components.add(startComponent("kubelet",
        "--config", config.toString(),
        "--kubeconfig", kubeconfig.toString(),
        "--root-dir", dir.dir("kubelet").toString(),
        "--hostname-override", NODE_NAME,
        "--node-ip", network.nodeIp(),
        "--v", "0"));
  }

  private void startKubeProxy() {
    Path kubeconfig = kubeconfigFor("kube-proxy", api.pki().client("system:kube-proxy", null));
    // conntrack limits and timeouts 0: leave the kernel's as they are (the limit is machine-wide).
    Path config = KubeApiServer.write(dir.path().resolve("kube-proxy.yaml"), """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        mode: iptables
        clientConnection:
          kubeconfig: %s
        hostnameOverride: %s
        clusterCIDR: %s
        bindAddress: %s
        healthzBindAddress: 127.0.0.1:10256
        metricsBindAddress: 127.0.0.1:10249
        nodePortAddresses: ["%s/32"]
        iptables:
          localhostNodePorts: false
        conntrack:
          maxPerCore: 0
          min: 0
          tcpEstablishedTimeout: 0s
          tcpCloseWaitTimeout: 0s
        """.formatted(kubeconfig, NODE_NAME, CLUSTER_CIDR, network.nodeIp(), network.nodeIp()));
    components.add(startComponent("kube-proxy", "--config", config.toString(), "--v", "0"));
  }

  private void awaitNodeReady() {
    Wait.until("node " + NODE_NAME + " Ready", Duration.ofSeconds(120), () -> {
      requireComponentsAlive();
      Node node = client().nodes().withName(NODE_NAME).get();
      return node != null && node.getStatus() != null && node.getStatus().getConditions() != null
          && node.getStatus().getConditions().stream()
              .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    });
  }

  /** kube-proxy has programmed the kubernetes Service: ClusterIPs route from now on. */
  private void awaitServiceRules() {
    Wait.until("kube-proxy's rule for " + KUBERNETES_SERVICE_IP, Duration.ofSeconds(60), () -> {
      requireComponentsAlive();
      Command.Result rules = network.run(Duration.ofSeconds(10), "iptables", "-t", "nat", "-S", "KUBE-SERVICES");
      return rules.ok() && rules.output().contains(KUBERNETES_SERVICE_IP + "/32");
    });
  }

  private void startClusterDns() {
    String manifest = resource("coredns.yaml")
        .replace("${IMAGE}", Images.require("coredns").reference())
        .replace("${CLUSTER_DNS_IP}", CLUSTER_DNS_IP);
    Path file = KubeApiServer.write(dir.path().resolve("coredns.yaml"), manifest);
    api.kubectl("apply", "-f", file.toString()).orThrow();
    Command.Result rollout = api.kubectl(Duration.ofSeconds(150), "-n", "kube-system", "rollout",
        "status", "deployment/coredns", "--timeout=120s");
    if (!rollout.ok()) {
      throw new IllegalStateException("CoreDNS did not become ready: " + rollout.output().strip()
          + "\n" + api.kubectl("-n", "kube-system", "describe", "pods", "-l", "k8s-app=kube-dns").output());
    }
  }

  private void requireComponentsAlive() {
    for (ManagedProcess process : components) {
      if (!process.isAlive()) {
        throw new IllegalStateException(process.name() + " exited: " + Containerd.lastLine(process));
      }
    }
  }

  private ManagedProcess startComponent(String name, String... args) {
    List<String> command = new ArrayList<>(network.launcher());
    command.add(Tools.require(name).toString());
    command.addAll(List.of(args));
    return ManagedProcess.start(name, command, Map.of(), dir.path(), dir.path().resolve(name + ".log"));
  }

  private Path kubeconfigFor(String component, TestPki.Issued credentials) {
    return api.writeKubeconfig(dir.path().resolve(component + ".kubeconfig"), credentials);
  }

  private <T> T step(String name, Supplier<T> action) {
    currentStep = name;
    long began = System.nanoTime();
    T result = action.get();
    stepTimes.put(name, Duration.ofNanos(System.nanoTime() - began));
    return result;
  }

  private void step(String name, Runnable action) {
    step(name, () -> {
      action.run();
      return null;
    });
  }

  private static String resource(String name) {
    try (InputStream in = KubeNode.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("testkit resource " + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read testkit resource " + name + ": " + e, e);
    }
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[4];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  private static String seconds(Duration duration) {
    return String.format("%.1f s", duration.toMillis() / 1000.0);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
