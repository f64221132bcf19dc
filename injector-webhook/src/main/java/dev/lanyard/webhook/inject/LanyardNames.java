package dev.lanyard.webhook.inject;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.PodAnnotations;

/**
 * The Kubernetes names Lanyard reads and writes: labels, annotations, the names of what it adds to
 * a pod, and the environment it sets. Annotations and variables are lanyard-config's ({@link
 * PodAnnotations}, {@link ConfigKeys}), shared with the javaagent and the sidecar; the names of
 * what the webhook adds to a pod are its own.
 */
public final class LanyardNames {
  /**
   * Namespace label {@code enabled} (the webhook's namespaceSelector); pod label or annotation
   * {@code true|false}.
   */
  public static final String INJECT = PodAnnotations.INJECT;

  public static final String NAMESPACE_ENABLED = "enabled";
  public static final String MODE = PodAnnotations.MODE;
  public static final String CONTAINERS = PodAnnotations.CONTAINERS;
  public static final String RUNTIME_PREFIX = PodAnnotations.RUNTIME_PREFIX;
  public static final String ALLOWED_PEERS = PodAnnotations.ALLOWED_PEERS;
  public static final String STARTUP = PodAnnotations.STARTUP;
  public static final String INBOUND = PodAnnotations.INBOUND;
  public static final String JWT_AUDIENCES = PodAnnotations.JWT_AUDIENCES;
  public static final String INBOUND_JWT_AUDIENCE = PodAnnotations.INBOUND_JWT_AUDIENCE;
  public static final String AUDIT = PodAnnotations.AUDIT;
  /** Secure naming: {@code host-glob=spiffe-id-pattern,...}, which IDs a mesh host may present. */
  public static final String SERVER_IDS = PodAnnotations.SERVER_IDS;

  /** Written by the webhook: JSON, see {@link InjectionStatus}. */
  public static final String STATUS = PodAnnotations.STATUS;

  public static final String SOCKET_VOLUME = "spiffe-workload-api";
  public static final String SOCKET_MOUNT_PATH = "/spiffe-workload-api";
  public static final String JAVAAGENT_VOLUME = "lanyard-javaagent";
  public static final String JAVAAGENT_MOUNT_PATH = "/lanyard";
  public static final String JAVAAGENT_JAR = JAVAAGENT_MOUNT_PATH + "/javaagent.jar";
  public static final String JAVAAGENT_FLAG = "-javaagent:" + JAVAAGENT_JAR;

  /** The init container that copies the jar into {@link #JAVAAGENT_VOLUME}. */
  public static final String JAVAAGENT_INIT_CONTAINER = "lanyard-javaagent";

  public static final String SIDECAR_CONTAINER = "lanyard-sidecar";

  /**
   * The sidecar's writable /tmp (its root filesystem is read-only; Netty unpacks natives there).
   */
  public static final String SIDECAR_TMP_VOLUME = "lanyard-sidecar-tmp";

  /** The sidecar's health port (GET /ready only), the one port of it declared on the pod IP. */
  public static final String HEALTH_PORT_NAME = "lanyard-health";

  public static final String SPIFFE_ENDPOINT_SOCKET = ConfigKeys.ENDPOINT_SOCKET.env();
  public static final String JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";
  public static final String LANYARD_ALLOWED_PEERS = ConfigKeys.ALLOWED_PEERS.env();
  public static final String LANYARD_STARTUP = ConfigKeys.STARTUP.env();
  public static final String LANYARD_INBOUND = ConfigKeys.INBOUND.env();
  public static final String LANYARD_JWT_AUDIENCES = ConfigKeys.JWT_AUDIENCES.env();
  public static final String LANYARD_INBOUND_JWT_AUDIENCE = ConfigKeys.INBOUND_JWT_AUDIENCE.env();
  public static final String LANYARD_AUDIT = ConfigKeys.AUDIT.env();
  public static final String LANYARD_SERVER_IDS = ConfigKeys.SERVER_IDS.env();
  public static final String LANYARD_MESH_CIDRS = ConfigKeys.MESH_CIDRS.env();
  public static final String LANYARD_EXTERNAL_HOSTS = ConfigKeys.EXTERNAL_HOSTS.env();
  public static final String LANYARD_ADMIN_ADDRESS = ConfigKeys.ADMIN_ADDRESS.env();
  public static final String LANYARD_OUTBOUND_PROXY = ConfigKeys.OUTBOUND_PROXY.env();
  public static final String LANYARD_SHUTDOWN_ADDRESS = ConfigKeys.SHUTDOWN_ADDRESS.env();
  public static final String LANYARD_HEALTH_ADDRESS = ConfigKeys.HEALTH_ADDRESS.env();
  public static final String LANYARD_METRICS_ADDRESS = ConfigKeys.METRICS_ADDRESS.env();
  public static final String LANYARD_MESH_HOSTS = ConfigKeys.MESH_HOSTS.env();
  public static final String LANYARD_PLAIN_PORTS = ConfigKeys.PLAIN_PORTS.env();
  public static final String LANYARD_OUTBOUND = ConfigKeys.OUTBOUND.env();
  public static final String LANYARD_DRAIN = ConfigKeys.DRAIN.env();
  public static final String LANYARD_IDLE_TIMEOUT = ConfigKeys.IDLE_TIMEOUT.env();
  public static final String LANYARD_HANDSHAKE_TIMEOUT = ConfigKeys.HANDSHAKE_TIMEOUT.env();
  /** The metrics port's container port name (what the chart's PodMonitor selects). */
  public static final String METRICS_PORT_NAME = "lanyard-metrics";
  /** The usual Prometheus scrape annotations (kubernetes_sd_configs relabelling convention). */
  public static final String PROMETHEUS_SCRAPE = "prometheus.io/scrape";
  public static final String PROMETHEUS_PORT = "prometheus.io/port";
  public static final String PROMETHEUS_PATH = "prometheus.io/path";
  /** How the sidecar image starts its JVM: the webhook's command is java, the flags, -jar this. */
  public static final String SIDECAR_JAVA = "/usr/bin/java";
  public static final String SIDECAR_JAR = "/opt/lanyard/lanyard-sidecar.jar";
  public static final String LANYARD_POD_NAME = ConfigKeys.POD_NAME.env();
  public static final String LANYARD_POD_NAMESPACE = ConfigKeys.POD_NAMESPACE.env();
  public static final String LANYARD_NODE_NAME = ConfigKeys.NODE_NAME.env();
  public static final String LANYARD_SERVICE_ACCOUNT = ConfigKeys.SERVICE_ACCOUNT.env();

  private LanyardNames() {}
}
