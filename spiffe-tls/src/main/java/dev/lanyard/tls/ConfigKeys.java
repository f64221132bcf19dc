package dev.lanyard.tls;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Every knob of the javaagent and the sidecar, in one place. Each environment variable has a
 * system property of the same name in lower case with dots ({@code LANYARD_LOG} ↔ {@code
 * lanyard.log}); the system property wins. Parsed once, by {@link LanyardConfig#fromEnv}.
 */
public final class ConfigKeys {

  /**
   * Comma list of SPIFFE ID patterns this workload accepts and calls: exact {@code
   * spiffe://td/ns/x/sa/y}, one segment {@code spiffe://td/ns/x/*}, any depth {@code
   * spiffe://td/**}. Unset means "peers of my own trust domain only", never "everyone". The entry
   * {@code audit} switches the policy to audit mode: would-be denials are logged and allowed. Set
   * by the pod annotation {@code lanyard.dev/allowed-peers}.
   */
  public static final ConfigKey ALLOWED_PEERS = ConfigKey.of("LANYARD_ALLOWED_PEERS");

  /**
   * What to do when no X.509-SVID arrives: {@code wait=<duration>,then=fail|degrade}; default
   * {@code wait=30s,then=fail}. Set by the pod annotation {@code lanyard.dev/startup}.
   */
  public static final ConfigKey STARTUP = ConfigKey.of("LANYARD_STARTUP");

  /**
   * Comma list of host globs that are mesh-only: a server there must present an X.509-SVID, the
   * Web PKI fallback is refused. Default {@code *.svc,*.svc.cluster.local,*.cluster.local}; the
   * value {@code none} disables the rule.
   */
  public static final ConfigKey MESH_HOSTS = ConfigKey.of("LANYARD_MESH_HOSTS");

  /**
   * Comma list of host globs that are never mesh destinations: judged by Web PKI alone, an
   * X.509-SVID is never accepted from them. The escape hatch for public hosts the built-in rule
   * takes for mesh ones (two-label names such as {@code github.com}). Default empty.
   */
  public static final ConfigKey EXTERNAL_HOSTS = ConfigKey.of("LANYARD_EXTERNAL_HOSTS");

  /**
   * Comma list of the cluster's service and pod CIDRs, e.g. {@code 10.96.0.0/12,10.244.0.0/16}:
   * an IP address inside is a mesh destination, one outside is not. Unset: every IP address
   * other than loopback and link-local is a mesh destination (fail closed).
   */
  public static final ConfigKey MESH_CIDRS = ConfigKey.of("LANYARD_MESH_CIDRS");

  /**
   * Secure naming: comma list of {@code host-glob=spiffe-id-pattern}, which SPIFFE IDs a mesh host
   * may present (the first matching glob decides; repeat it for several IDs). A mesh host without
   * a statement gets {@code LANYARD_ALLOWED_PEERS}. Set by the pod annotation {@code
   * lanyard.dev/server-ids}.
   */
  public static final ConfigKey SERVER_IDS = ConfigKey.of("LANYARD_SERVER_IDS");

  /** {@code host:port} of the admin endpoint; default {@code 127.0.0.1:15000}; {@code off} disables. */
  public static final ConfigKey ADMIN_ADDRESS = ConfigKey.of("LANYARD_ADMIN_ADDRESS");

  /**
   * {@code host:port} of the health port, which serves {@code GET /ready} and nothing else (no
   * identity, audit or metrics), for probes from outside the pod; default {@code off}. The webhook
   * sets {@code 0.0.0.0:15021} for the sidecar, whose startup probe targets it.
   */
  public static final ConfigKey HEALTH_ADDRESS = ConfigKey.of("LANYARD_HEALTH_ADDRESS");

  /** {@code info} (default: one line at start, then only problems) or {@code debug}. */
  public static final ConfigKey LOG = ConfigKey.of("LANYARD_LOG");

  /**
   * Which authorization decisions become audit records on stderr: {@code deny} (default: every
   * refusal and every would-be refusal in audit mode), {@code all}, {@code off}. The admin {@code
   * /audit} endpoint always keeps the most recent decisions.
   */
  public static final ConfigKey AUDIT = ConfigKey.of("LANYARD_AUDIT");

  /**
   * The standard SPIFFE Workload API address, e.g. {@code
   * unix:///spiffe-workload-api/spire-agent.sock}; default is that path (where the webhook mounts
   * the CSI driver's socket).
   */
  public static final ConfigKey ENDPOINT_SOCKET = ConfigKey.of("SPIFFE_ENDPOINT_SOCKET");

  /**
   * Comma list of local server ports that do not require a client certificate (e.g. a public API
   * port that faces non-mesh clients). The javaagent and sidecar leave client authentication off
   * on those ports; every other server port requires an X.509-SVID from the client.
   */
  public static final ConfigKey PLAIN_PORTS = ConfigKey.of("LANYARD_PLAIN_PORTS");

  /**
   * Comma list of {@code host-glob=audience}: outbound HTTPS requests to a host matching the glob
   * carry {@code Authorization: Bearer <JWT-SVID for audience>}, unless the application set an
   * Authorization header itself. Never sent to another host, never over plain HTTP. The first
   * matching glob wins. Unset: no JWT-SVIDs are sent.
   */
  public static final ConfigKey JWT_AUDIENCES = ConfigKey.of("LANYARD_JWT_AUDIENCES");

  /**
   * Sidecar inbound: requests must carry a valid JWT-SVID for this audience ({@code Authorization:
   * Bearer ...}); the verified SPIFFE ID reaches the application in {@code X-Lanyard-Jwt-Subject}.
   */
  public static final ConfigKey INBOUND_JWT_AUDIENCE = ConfigKey.of("LANYARD_INBOUND_JWT_AUDIENCE");

  /** The pod's name (Downward API, set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey POD_NAME = ConfigKey.of("LANYARD_POD_NAME");

  /** The pod's namespace (Downward API, set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey POD_NAMESPACE = ConfigKey.of("LANYARD_POD_NAMESPACE");

  /** The node's name (Downward API, set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey NODE_NAME = ConfigKey.of("LANYARD_NODE_NAME");

  /** The pod's service account (set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey SERVICE_ACCOUNT = ConfigKey.of("LANYARD_SERVICE_ACCOUNT");

  /** All keys above, in declaration order (for documentation and diagnostics). */
  public static final List<ConfigKey> ALL = Collections.unmodifiableList(Arrays.asList(
      ALLOWED_PEERS, STARTUP, MESH_HOSTS, EXTERNAL_HOSTS, MESH_CIDRS, SERVER_IDS, ADMIN_ADDRESS, LOG,
      AUDIT, ENDPOINT_SOCKET, PLAIN_PORTS, JWT_AUDIENCES, INBOUND_JWT_AUDIENCE, POD_NAME,
      POD_NAMESPACE, NODE_NAME, SERVICE_ACCOUNT, HEALTH_ADDRESS));

  private ConfigKeys() {}
}
