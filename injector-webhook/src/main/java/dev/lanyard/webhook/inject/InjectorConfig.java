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
 */
public record InjectorConfig(
    String version,
    String webhookNamespace,
    RuntimeKind defaultRuntime,
    Socket socket,
    Javaagent javaagent,
    Sidecar sidecar,
    InjectedSecurity security,
    Defaults defaults) {

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
      ResourceRequirements resources) {}

  /**
   * What a pod gets when it has no {@code lanyard.dev/allowed-peers} or {@code
   * lanyard.dev/startup} annotation; empty means the javaagent's and sidecar's own default (the
   * same trust domain only; {@code wait=30s,then=fail}). An annotation always wins.
   */
  public record Defaults(String allowedPeers, String startup) {
    public Defaults {
      allowedPeers = allowedPeers == null ? "" : allowedPeers.trim();
      startup = startup == null ? "" : startup.trim();
    }

    Optional<String> allowedPeersIfSet() {
      return allowedPeers.isEmpty() ? Optional.empty() : Optional.of(allowedPeers);
    }

    Optional<String> startupIfSet() {
      return startup.isEmpty() ? Optional.empty() : Optional.of(startup);
    }
  }

  /** The user and group Lanyard's own containers run as (non-root: Pod Security "restricted"). */
  public record InjectedSecurity(long runAsUser, long runAsGroup) {}
}
