package dev.lanyard.webhook.inject;

/**
 * The Kubernetes names Lanyard reads and writes: labels, annotations, the names of what it adds to
 * a pod, and the environment it sets. They are public contract (the README's configuration
 * reference): scripts, the chart and the javaagent and sidecar rely on them, so they live in one
 * place.
 */
public final class LanyardNames {
  /**
   * Namespace label {@code enabled} (the webhook's namespaceSelector); pod label or annotation
   * {@code true|false}.
   */
  public static final String INJECT = "lanyard.dev/inject";

  public static final String NAMESPACE_ENABLED = "enabled";
  public static final String MODE = "lanyard.dev/mode";
  public static final String CONTAINERS = "lanyard.dev/containers";
  public static final String RUNTIME_PREFIX = "lanyard.dev/runtime.";
  public static final String ALLOWED_PEERS = "lanyard.dev/allowed-peers";
  public static final String STARTUP = "lanyard.dev/startup";
  public static final String INBOUND = "lanyard.dev/inbound";
  public static final String JWT_AUDIENCES = "lanyard.dev/jwt-audiences";
  public static final String INBOUND_JWT_AUDIENCE = "lanyard.dev/inbound-jwt-audience";
  public static final String AUDIT = "lanyard.dev/audit";
  /** Secure naming: {@code host-glob=spiffe-id-pattern,...}, which IDs a mesh host may present. */
  public static final String SERVER_IDS = "lanyard.dev/server-ids";

  /** Written by the webhook: JSON, see {@link InjectionStatus}. */
  public static final String STATUS = "lanyard.dev/status";

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

  public static final String SPIFFE_ENDPOINT_SOCKET = "SPIFFE_ENDPOINT_SOCKET";
  public static final String JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";
  public static final String LANYARD_ALLOWED_PEERS = "LANYARD_ALLOWED_PEERS";
  public static final String LANYARD_STARTUP = "LANYARD_STARTUP";
  public static final String LANYARD_INBOUND = "LANYARD_INBOUND";
  public static final String LANYARD_JWT_AUDIENCES = "LANYARD_JWT_AUDIENCES";
  public static final String LANYARD_INBOUND_JWT_AUDIENCE = "LANYARD_INBOUND_JWT_AUDIENCE";
  public static final String LANYARD_AUDIT = "LANYARD_AUDIT";
  public static final String LANYARD_SERVER_IDS = "LANYARD_SERVER_IDS";
  public static final String LANYARD_MESH_CIDRS = "LANYARD_MESH_CIDRS";
  public static final String LANYARD_EXTERNAL_HOSTS = "LANYARD_EXTERNAL_HOSTS";
  public static final String LANYARD_ADMIN_ADDRESS = "LANYARD_ADMIN_ADDRESS";
  public static final String LANYARD_OUTBOUND_PROXY = "LANYARD_OUTBOUND_PROXY";
  public static final String LANYARD_SHUTDOWN_ADDRESS = "LANYARD_SHUTDOWN_ADDRESS";
  public static final String LANYARD_HEALTH_ADDRESS = "LANYARD_HEALTH_ADDRESS";
  public static final String LANYARD_POD_NAME = "LANYARD_POD_NAME";
  public static final String LANYARD_POD_NAMESPACE = "LANYARD_POD_NAMESPACE";
  public static final String LANYARD_NODE_NAME = "LANYARD_NODE_NAME";
  public static final String LANYARD_SERVICE_ACCOUNT = "LANYARD_SERVICE_ACCOUNT";

  private LanyardNames() {}
}
