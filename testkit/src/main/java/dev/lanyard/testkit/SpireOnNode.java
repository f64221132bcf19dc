package dev.lanyard.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SPIRE on a {@link KubeNode} the way clusters run it: a SPIRE server for the tests' trust domain,
 * one SPIRE Agent for the node whose only workload attestor is {@code k8s} (pods are told apart by
 * the kubelet, never by uid), and spire-controller-manager v{@value #CONTROLLER_MANAGER_VERSION}
 * turning {@code ClusterSPIFFEID}s into SPIRE entries, its CRDs and RBAC taken unchanged from that
 * version's module (scripts/install-tools.sh copies them next to the tools).
 *
 * <p>All three run as processes on this machine, beside the node's network namespace:
 *
 * <ul>
 *   <li>The agent attests to the server with a join token aliased to {@link #nodeAliasId()};
 *       the controller manager's {@code parentIDTemplate} names that alias, so every entry it
 *       writes belongs to this agent (a DaemonSet agent would use {@code k8s_psat} instead).
 *   <li>The agent asks the kubelet (at the node's address, verified against the cluster CA) for
 *       its pods with a client certificate of user {@value #AGENT_USER}, bound by RBAC to
 *       {@code nodes/pods} get and nothing else: the kubelet has anonymous auth off and Webhook
 *       authorization.
 *   <li>The agent serves the Workload API at {@value #SOCKET_DIRECTORY}/{@value #SOCKET_FILE}, the
 *       chart's {@code injector.socket.hostPath} default: pods reach it through a {@code hostPath}
 *       volume.
 *   <li>The controller manager runs with the user {@value #CONTROLLER_MANAGER_USER} bound to the
 *       module's {@code manager-role}, and with {@code ENABLE_WEBHOOKS=false}: its validating
 *       webhook needs an in-cluster Service (ClusterSPIFFEIDs are still checked when reconciled).
 * </ul>
 *
 * <p>Closing it stops the three processes and removes the socket directory it created.
 */
public final class SpireOnNode implements AutoCloseable {
  public static final String CONTROLLER_MANAGER_VERSION = "0.6.3";
  /** The chart's {@code injector.socket.hostPath} default. */
  public static final String SOCKET_DIRECTORY = "/run/spire/agent-sockets";
  /** The chart's {@code injector.socket.fileName} default. */
  public static final String SOCKET_FILE = "spire-agent.sock";
  static final String AGENT_USER = "lanyard:spire-agent";
  static final String CONTROLLER_MANAGER_USER = "lanyard:spire-controller-manager";
  private static final Pattern CONTROLLER_STARTED = Pattern.compile(
      "Starting workers.*\"controller\":\\s*\"clusterspiffeid\"");
  /** One selector in the agent's log: {@code type:\"k8s\" value:\"ns:x\"} (quotes escaped). */
  private static final Pattern LOGGED_SELECTOR =
      Pattern.compile("type:\\\\\"([^\\\\]*)\\\\\" value:\\\\\"([^\\\\]*)\\\\\"");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubeNode node;
  private final SpireOptions options;
  private final Map<String, Duration> stepTimes = new LinkedHashMap<>();
  private String currentStep = "tools";
  private TempDir dir;
  private SocketDirectory socketDirectory;
  private SpireCluster spire;
  private ManagedProcess controllerManager;
  private Duration startTime;
  private boolean closed;

  private SpireOnNode(KubeNode node, SpireOptions options) {
    this.node = node;
    this.options = options;
  }

  /**
   * Starts SPIRE and the controller manager on {@code node} and waits until ClusterSPIFFEIDs are
   * reconciled. On failure it cleans up and throws with one line naming the step and the reason,
   * followed by the logs.
   */
  public static SpireOnNode start(KubeNode node, SpireOptions options) {
    SpireOnNode spire = new SpireOnNode(node, options);
    long began = System.nanoTime();
    try {
      spire.step("tools", spire::requireTools);
      spire.step("socket directory", spire::createSocketDirectory);
      spire.step("kubelet client RBAC", spire::grantKubeletRead);
      spire.step("spire-server + spire-agent", spire::startSpire);
      spire.step("CRDs", spire::installCrds);
      spire.step("spire-controller-manager", spire::startControllerManager);
      spire.startTime = Duration.ofNanos(System.nanoTime() - began);
      System.err.println("testkit: SPIRE on " + node.nodeName() + " ready in "
          + seconds(spire.startTime) + " " + spire.stepTimes.entrySet().stream()
              .map(entry -> entry.getKey() + " " + seconds(entry.getValue())).toList());
      return spire;
    } catch (RuntimeException e) {
      String logs = spire.logs();
      spire.close();
      throw new IllegalStateException("SPIRE on the node did not start: step '" + spire.currentStep
          + "' failed: " + firstLine(e.getMessage()) + "\n" + logs, e);
    }
  }

  public String trustDomain() {
    return options.trustDomain();
  }

  /** The SPIFFE ID the agent's join token aliases it to: the parent of every pod's entry. */
  public String nodeAliasId() {
    return "spiffe://" + options.trustDomain() + "/k8s-node/" + node.nodeName();
  }

  /** The Workload API socket on the node ({@link #SOCKET_DIRECTORY}/{@link #SOCKET_FILE}). */
  public Path agentSocket() {
    return Path.of(SOCKET_DIRECTORY, SOCKET_FILE);
  }

  /** The spire-agent binary (pods that mount it by hostPath run {@code api fetch} with it). */
  public Path agentBinary() {
    return Tools.require("spire-agent");
  }

  /** The directory of the server's and agent's data, configs and logs (removed on close). */
  Path directory() {
    return spire.directory();
  }

  /** How long {@link #start} took, and per step. */
  public Duration startTime() {
    return startTime;
  }

  public Map<String, Duration> stepTimes() {
    return Map.copyOf(stepTimes);
  }

  /** Runs {@code spire-server <args>} against this server. */
  public Command.Result serverCli(String... args) {
    return spire.serverCli(args);
  }

  /** One SPIRE registration entry as the server shows it. */
  public record Entry(String id, String spiffeId, String parentId, List<String> selectors) {}

  /** Every registration entry in the server ({@code entry show -output json}). */
  public List<Entry> entries() {
    String shown = spire.serverCli("entry", "show", "-output", "json").orThrow();
    try {
      List<Entry> entries = new ArrayList<>();
      for (JsonNode entry : JSON.readTree(shown).path("entries")) {
        List<String> selectors = new ArrayList<>();
        entry.path("selectors").forEach(selector ->
            selectors.add(selector.path("type").asText() + ":" + selector.path("value").asText()));
        entries.add(new Entry(entry.path("id").asText(), spiffeId(entry.path("spiffe_id")),
            spiffeId(entry.path("parent_id")), List.copyOf(selectors)));
      }
      return entries;
    } catch (IOException e) {
      throw new IllegalStateException("cannot parse spire-server entry show output: " + e + "\n" + shown, e);
    }
  }

  /** The entries whose selectors include {@code k8s:pod-uid:<podUid>} (the controller manager's). */
  public List<Entry> entriesOfPod(String podUid) {
    return entries().stream().filter(entry -> entry.selectors().contains("k8s:pod-uid:" + podUid)).toList();
  }

  /**
   * The selectors ({@code type:value}) the agent's workload attestors found for the last process
   * of pod {@code podUid} that called the Workload API, from its DEBUG line "PID attested to have
   * selectors"; empty if none called yet.
   */
  public List<String> attestedSelectors(String podUid) {
    String line = spire.agentLog().lines()
        .filter(logged -> logged.contains("PID attested to have selectors")
            && logged.contains("value:\\\"pod-uid:" + podUid + "\\\""))
        .reduce((first, second) -> second).orElse("");
    List<String> selectors = new ArrayList<>();
    Matcher selector = LOGGED_SELECTOR.matcher(line);
    while (selector.find()) {
      selectors.add(selector.group(1) + ":" + selector.group(2));
    }
    return selectors;
  }

  /** The tail of the server's, agent's and controller manager's logs, for failure reports. */
  public String logs() {
    StringBuilder out = new StringBuilder();
    if (spire != null) {
      out.append(spire.logs());
    }
    if (controllerManager != null) {
      out.append("---- ").append(controllerManager.name()).append(" log (")
          .append(controllerManager.log()).append(") ----\n").append(controllerManager.tail(60))
          .append('\n');
    }
    return out.toString();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (controllerManager != null) {
      controllerManager.stop(Duration.ofSeconds(10));
    }
    if (spire != null) {
      spire.close(); // also removes dir
    } else if (dir != null) {
      dir.close();
    }
    if (socketDirectory != null) {
      socketDirectory.remove();
    }
  }

  private void requireTools() {
    Tools.require("spire-server");
    Tools.require("spire-agent");
    Tools.require("spire-controller-manager");
    manifest("crd/bases/spire.spiffe.io_clusterspiffeids.yaml");
  }

  private void createSocketDirectory() {
    socketDirectory = SocketDirectory.create(Path.of(SOCKET_DIRECTORY));
  }

  /** The agent's kubelet client: a certificate of {@value #AGENT_USER}, allowed the pod list only. */
  private void grantKubeletRead() {
    node.kubectl("apply", "-f", write("spire-agent-rbac.yaml", """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: lanyard-spire-agent
        rules:
          # The kubelet (1.35, fine-grained authorization) authorizes GET /pods as nodes/pods,
          # falling back to nodes/proxy; nodes/proxy would also allow exec through the kubelet.
          - apiGroups: [""]
            resources: [nodes/pods]
            verbs: [get]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: lanyard-spire-agent
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: lanyard-spire-agent
        subjects:
          - apiGroup: rbac.authorization.k8s.io
            kind: User
            name: %s
        """.formatted(AGENT_USER)).toString()).orThrow();
  }

  private void startSpire() {
    dir = TempDir.create("lanyard-spire-node-");
    TestPki.Issued credentials = node.apiServer().issueClientCertificate(AGENT_USER, null);
    Path kubeletCa = writeIn(dir.dir("kubelet-client"), "ca.crt", node.apiServer().caPem());
    Path certificate = writeIn(dir.path().resolve("kubelet-client"), "client.crt",
        credentials.certificatePem());
    Path key = writeIn(dir.path().resolve("kubelet-client"), "client.key", credentials.keyPem());
    // node_name is where the kubelet is dialled: the node's address, an IP SAN of its serving
    // certificate (this machine cannot resolve the node's name).
    String k8sAttestor = """
          WorkloadAttestor "k8s" {
            plugin_data {
              node_name = "%s"
              kubelet_secure_port = 10250
              kubelet_ca_path = "%s"
              certificate_path = "%s"
              private_key_path = "%s"
            }
          }
        """.formatted(node.nodeIp(), kubeletCa, certificate, key);
    TempDir root = dir;
    dir = null; // SpireCluster owns and closes it from here
    spire = SpireCluster.start(options, root,
        new SpireCluster.AgentSetup(agentSocket(), nodeAliasId(), k8sAttestor));
  }

  private void installCrds() {
    for (String crd : List.of("clusterspiffeids", "clusterfederatedtrustdomains", "clusterstaticentries")) {
      node.kubectl("apply", "-f", manifest("crd/bases/spire.spiffe.io_" + crd + ".yaml").toString())
          .orThrow();
    }
    node.kubectl(Duration.ofSeconds(90), "wait", "--for=condition=Established", "--timeout=60s",
        "crd/clusterspiffeids.spire.spiffe.io", "crd/clusterfederatedtrustdomains.spire.spiffe.io",
        "crd/clusterstaticentries.spire.spiffe.io").orThrow();
    node.kubectl("apply", "-f", manifest("rbac/role.yaml").toString()).orThrow();
    node.kubectl("apply", "-f", write("spire-controller-manager-rbac.yaml", """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: lanyard-spire-controller-manager
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: manager-role
        subjects:
          - apiGroup: rbac.authorization.k8s.io
            kind: User
            name: %s
        """.formatted(CONTROLLER_MANAGER_USER)).toString()).orThrow();
  }

  private void startControllerManager() {
    Path home = spire.directory();
    Path kubeconfig = node.apiServer().writeKubeconfig(home.resolve("spire-controller-manager.kubeconfig"),
        node.apiServer().issueClientCertificate(CONTROLLER_MANAGER_USER, null));
    Path config = writeIn(home, "spire-controller-manager.yaml", """
        apiVersion: spire.spiffe.io/v1alpha1
        kind: ControllerManagerConfig
        metrics:
          bindAddress: "0"
        health:
          healthProbeBindAddress: "0"
        leaderElection:
          leaderElect: false
        clusterName: %s
        clusterDomain: cluster.local
        trustDomain: %s
        spireServerSocketPath: %s
        # The agent's join-token alias (see nodeAliasId): the parent of every entry.
        parentIDTemplate: "spiffe://{{ .TrustDomain }}/k8s-node/{{ .NodeMeta.Name }}"
        ignoreNamespaces: [kube-system, kube-public, kube-node-lease]
        logLevel: debug
        """.formatted(node.nodeName(), options.trustDomain(), spire.serverSocket()));
    controllerManager = ManagedProcess.start("spire-controller-manager",
        List.of(Tools.require("spire-controller-manager").toString(), "-config", config.toString()),
        Map.of("KUBECONFIG", kubeconfig.toString(), "ENABLE_WEBHOOKS", "false"), home,
        home.resolve("spire-controller-manager.log"));
    controllerManager.awaitOutput(CONTROLLER_STARTED, Duration.ofSeconds(60));
  }

  /** A file of spire-controller-manager's module (config/...), as install-tools.sh copied it. */
  static Path manifest(String relative) {
    Path file = Tools.binDir().resolveSibling("manifests")
        .resolve("spire-controller-manager-" + CONTROLLER_MANAGER_VERSION).resolve(relative);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(file + " is missing: scripts/install-tools.sh"
          + " spire-controller-manager copies the CRDs and RBAC of its module there");
    }
    return file;
  }

  private Path write(String name, String content) {
    return writeIn(node.directory(), name, content);
  }

  private static Path writeIn(Path directory, String name, String content) {
    try {
      Path file = directory.resolve(name);
      Files.writeString(file, content);
      if (name.endsWith(".key")) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + name + " in " + directory, e);
    }
  }

  private static String spiffeId(JsonNode id) {
    return "spiffe://" + id.path("trust_domain").asText() + id.path("path").asText();
  }

  private void step(String name, Runnable action) {
    currentStep = name;
    long began = System.nanoTime();
    action.run();
    stepTimes.put(name, Duration.ofNanos(System.nanoTime() - began));
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

  /**
   * The agent's socket directory at its fixed node path: created with whichever parents were
   * missing, and only those removed again. One node runs at a time ({@link NodeLock}), so a
   * directory that already holds something is another SPIRE Agent's: refused, not shared.
   */
  private static final class SocketDirectory {
    private final List<Path> created;

    private SocketDirectory(List<Path> created) {
      this.created = created;
    }

    static SocketDirectory create(Path path) {
      try {
        if (Files.isDirectory(path)) {
          try (var entries = Files.list(path)) {
            if (entries.findAny().isPresent()) {
              throw new IllegalStateException(path + " is not empty: another SPIRE Agent serves"
                  + " there; stop it (the node's agent must own the chart's socket directory)");
            }
          }
          return new SocketDirectory(List.of());
        }
        List<Path> missing = new ArrayList<>();
        for (Path dir = path; dir != null && !Files.exists(dir); dir = dir.getParent()) {
          missing.add(dir); // deepest first
        }
        Files.createDirectories(path);
        for (Path dir : missing) {
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return new SocketDirectory(missing);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + path, e);
      }
    }

    void remove() {
      try {
        Files.deleteIfExists(Path.of(SOCKET_DIRECTORY, SOCKET_FILE));
        for (Path dir : created) {
          Files.deleteIfExists(dir);
        }
      } catch (IOException e) {
        System.err.println("testkit: left " + SOCKET_DIRECTORY + ": " + e);
      }
    }
  }
}
