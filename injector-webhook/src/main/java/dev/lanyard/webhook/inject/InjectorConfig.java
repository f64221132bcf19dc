package dev.lanyard.webhook.inject;

import com.fasterxml.jackson.annotation.JsonValue;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the injection core needs to know about the cluster, parsed once at the edge (the
 * webhook's {@code --config}, the CLI's {@code --config}) by {@link InjectorConfigLoader}. The
 * defaults, with a comment on every key, are in {@code injector-defaults.yaml}.
 *
 * @param version written into {@code lanyard.dev/status}; the build's version unless overridden
 * @param webhookNamespace the webhook's own namespace: never injected, so the webhook cannot block
 *     its own pods
 * @param defaultRuntime what {@code mode: auto} assumes when nothing hints at a JVM
 * @param defaults the policy for pods that carry no annotation of their own
 * @param ceiling the most any pod may allow, whatever its annotations and environment say
 * @param namespaceLabel the namespace label that selects namespaces for injection (the chart's
 *     namespaceSelector): Events are recorded only in namespaces that carry it
 */
public record InjectorConfig(
    String version,
    String webhookNamespace,
    RuntimeKind defaultRuntime,
    Socket socket,
    Javaagent javaagent,
    Sidecar sidecar,
    InjectedSecurity security,
    Defaults defaults,
    Ceiling ceiling,
    NamespaceLabel namespaceLabel,
    Metrics metrics) {

  /** Namespaces Lanyard never injects, whatever their labels say. */
  public static final Set<String> SYSTEM_NAMESPACES =
      Set.of("kube-system", "kube-public", "kube-node-lease");

  public InjectorConfig {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(defaultRuntime, "defaultRuntime");
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(javaagent, "javaagent");
    Objects.requireNonNull(sidecar, "sidecar");
    Objects.requireNonNull(security, "security");
    Objects.requireNonNull(defaults, "defaults");
    Objects.requireNonNull(ceiling, "ceiling");
    Objects.requireNonNull(namespaceLabel, "namespaceLabel");
    Objects.requireNonNull(metrics, "metrics");
  }

  /**
   * The Workload API address inside the pod, e.g. {@code
   * unix:///spiffe-workload-api/spire-agent.sock}.
   */
  public String endpointSocket() {
    return "unix://" + LanyardNames.SOCKET_MOUNT_PATH + "/" + socket.fileName();
  }

  /** How the SPIRE Agent's socket directory reaches the pod. */
  public record Socket(SocketVolumeType type, String csiDriver, String hostPath, String fileName) {}

  /** Where the SPIRE Agent socket comes from. */
  public enum SocketVolumeType {
    /** The SPIFFE CSI driver: read-only, ephemeral, allowed by Pod Security "restricted". */
    CSI("csi"),
    /** A hostPath directory: needs Pod Security "privileged" (baseline forbids hostPath). */
    HOST_PATH("hostPath");

    private final String wireName;

    SocketVolumeType(String wireName) {
      this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
      return wireName;
    }
  }

  /**
   * The javaagent jar's delivery.
   *
   * @param copyCommand run by the init container; must copy the jar to {@code
   *     /lanyard/javaagent.jar}
   */
  public record Javaagent(
      String image,
      String imagePullPolicy,
      JarDelivery delivery,
      List<String> copyCommand,
      String volumeSizeLimit,
      ResourceRequirements resources) {
    public Javaagent {
      copyCommand = List.copyOf(copyCommand);
    }
  }

  /** How the jar gets into the pod. */
  public enum JarDelivery {
    /** An init container copies it into a size-limited emptyDir: works on every cluster. */
    COPY("copy"),
    /**
     * The javaagent image itself is mounted at {@code /lanyard} (Kubernetes image volumes, feature
     * gate ImageVolume): no init container, but only where the cluster supports it.
     */
    IMAGE("image");

    private final String wireName;

    JarDelivery(String wireName) {
      this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
      return wireName;
    }
  }

  /**
   * The sidecar for non-JVM containers.
   *
   * @param adminListenHost the sidecar's admin endpoint host: loopback, since it serves identity
   *     and audit data ({@code kubectl port-forward} and {@code lanyard identities} reach it there)
   * @param shutdownPort the sidecar's loopback {@code POST /shutdown}
   * @param healthPort the sidecar's health port on the pod IP, {@code GET /ready} only: what the
   *     kubelet's startup probe calls
   * @param noProxy the {@code NO_PROXY} value for app containers in sidecar mode
   */
  public record Sidecar(
      String image,
      String imagePullPolicy,
      int adminPort,
      String adminListenHost,
      int outboundProxyPort,
      int shutdownPort,
      int healthPort,
      String noProxy,
      int startupProbeFailureThreshold,
      ResourceRequirements resources,
      List<String> jvmFlags,
      String outbound,
      SidecarTimeouts timeouts) {
    public Sidecar {
      jvmFlags = jvmFlags == null ? List.of() : List.copyOf(jvmFlags);
      outbound = outbound == null ? "" : outbound.trim();
      timeouts = timeouts == null ? new SidecarTimeouts("", "", "") : timeouts;
    }
  }

  /**
   * The sidecar's timeouts, each a duration such as {@code 10s} ({@code LANYARD_DRAIN}, {@code
   * LANYARD_IDLE_TIMEOUT}, {@code LANYARD_HANDSHAKE_TIMEOUT}); empty: the sidecar's own default.
   */
  public record SidecarTimeouts(String drain, String idle, String handshake) {
    public SidecarTimeouts {
      drain = drain == null ? "" : drain.trim();
      idle = idle == null ? "" : idle.trim();
      handshake = handshake == null ? "" : handshake.trim();
    }
  }

  /**
   * Prometheus: whether each injected pod gets a metrics port ({@code LANYARD_METRICS_ADDRESS} on
   * {@code 0.0.0.0:port} in its sidecar, else its first javaagent container; container port
   * {@code lanyard-metrics}) and, unless the pod has its own, the {@code prometheus.io/*} scrape
   * annotations.
   */
  public record Metrics(boolean enabled, int port, boolean scrapeAnnotations) {}

  /**
   * What a pod gets when it has no {@code lanyard.dev/allowed-peers}, {@code lanyard.dev/startup}
   * or {@code lanyard.dev/server-ids} annotation; empty means the javaagent's and sidecar's own
   * default (the same trust domain only; {@code wait=30s,then=fail}; no secure-naming
   * statement). An annotation always wins. {@code meshCidrs} (the cluster's service and pod
   * CIDRs, {@code LANYARD_MESH_CIDRS}) and {@code externalHosts} ({@code LANYARD_EXTERNAL_HOSTS})
   * are cluster facts, set for every injected container; they have no annotation. {@code
   * upgradeInbound} and {@code upgradeOutbound} are the plain-port upgrade modes of every
   * javaagent container without {@code lanyard.dev/upgrade-inbound} / {@code -outbound} (empty:
   * off).
   */
  public record Defaults(String allowedPeers, String startup, String serverIds, String meshCidrs,
      String externalHosts, String meshHosts, String plainPorts, String upgradeInbound,
      String upgradeOutbound) {
    public Defaults {
      upgradeInbound = upgradeInbound == null ? "" : upgradeInbound.trim();
      upgradeOutbound = upgradeOutbound == null ? "" : upgradeOutbound.trim();
      meshHosts = meshHosts == null ? "" : meshHosts.trim();
      plainPorts = plainPorts == null ? "" : plainPorts.trim();
      allowedPeers = allowedPeers == null ? "" : allowedPeers.trim();
      startup = startup == null ? "" : startup.trim();
      serverIds = serverIds == null ? "" : serverIds.trim();
      meshCidrs = meshCidrs == null ? "" : meshCidrs.trim();
      externalHosts = externalHosts == null ? "" : externalHosts.trim();
    }

    Optional<String> serverIdsIfSet() {
      return serverIds.isEmpty() ? Optional.empty() : Optional.of(serverIds);
    }

    Optional<String> meshCidrsIfSet() {
      return meshCidrs.isEmpty() ? Optional.empty() : Optional.of(meshCidrs);
    }

    Optional<String> externalHostsIfSet() {
      return externalHosts.isEmpty() ? Optional.empty() : Optional.of(externalHosts);
    }

    Optional<String> allowedPeersIfSet() {
      return allowedPeers.isEmpty() ? Optional.empty() : Optional.of(allowedPeers);
    }

    Optional<String> startupIfSet() {
      return startup.isEmpty() ? Optional.empty() : Optional.of(startup);
    }

    Optional<String> upgradeInboundIfSet() {
      return upgradeInbound.isEmpty() ? Optional.empty() : Optional.of(upgradeInbound);
    }

    Optional<String> upgradeOutboundIfSet() {
      return upgradeOutbound.isEmpty() ? Optional.empty() : Optional.of(upgradeOutbound);
    }
  }

  /**
   * The operator's ceiling ({@link PeerCeiling}): every SPIFFE ID pattern a pod allows must lie
   * within one of {@code allowedPeers} (empty: no limit on patterns), and the {@code audit} keyword
   * is allowed only when {@code allowAudit} or in {@code auditNamespaces}.
   */
  public record Ceiling(String allowedPeers, boolean allowAudit, List<String> auditNamespaces) {
    public Ceiling {
      allowedPeers = allowedPeers == null ? "" : allowedPeers.trim();
      auditNamespaces = auditNamespaces == null ? List.of() : List.copyOf(auditNamespaces);
    }

    Optional<String> allowedPeersIfSet() {
      return allowedPeers.isEmpty() ? Optional.empty() : Optional.of(allowedPeers);
    }
  }

  /** A namespace label, e.g. {@code lanyard.dev/inject=enabled}. */
  public record NamespaceLabel(String key, String value) {
    public boolean isOn(java.util.Map<String, String> labels) {
      return labels != null && value.equals(labels.get(key));
    }
  }

  /** The user and group Lanyard's own containers run as (non-root: Pod Security "restricted"). */
  public record InjectedSecurity(long runAsUser, long runAsGroup) {}
}
