package dev.lanyard.config;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Every knob of the javaagent and the sidecar, in one place. Each environment variable has a
 * system property of the same name in lower case with dots ({@code LANYARD_LOG} ↔ {@code
 * lanyard.log}); the system property wins. The javaagent and the sidecar parse them once at start
 * (spiffe-tls's {@code LanyardConfig}, the sidecar's {@code SidecarConfig}); the webhook sets them
 * from pod annotations and chart values and judges those with the same parsers ({@link
 * WorkloadValues}). The README's configuration reference is tested against this list.
 */
public final class ConfigKeys {

  /**
   * Comma list of SPIFFE ID patterns this workload accepts and calls: exact {@code
   * spiffe://td/ns/x/sa/y}, one segment {@code spiffe://td/ns/x/*}, any depth {@code
   * spiffe://td/**}. Unset means "peers of my own trust domain only", never "everyone". The entry
   * {@code audit} switches the policy to audit mode: would-be denials are logged and allowed. Set
   * by the pod annotation {@code lanyard.dev/allowed-peers}.
   */
  public static final ConfigKey ALLOWED_PEERS = ConfigKey.of("LANYARD_ALLOWED_PEERS",
      PodAnnotations.ALLOWED_PEERS, "injector.defaults.allowedPeers");

  /**
   * What to do when no X.509-SVID arrives: {@code wait=<duration>,then=fail|degrade}; default
   * {@code wait=30s,then=fail}. Set by the pod annotation {@code lanyard.dev/startup}.
   */
  public static final ConfigKey STARTUP = ConfigKey.of("LANYARD_STARTUP",
      PodAnnotations.STARTUP, "injector.defaults.startup");

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
  public static final ConfigKey EXTERNAL_HOSTS = ConfigKey.of("LANYARD_EXTERNAL_HOSTS",
      null, "injector.defaults.externalHosts");

  /**
   * Comma list of the cluster's service and pod CIDRs, e.g. {@code 10.96.0.0/12,10.244.0.0/16}:
   * an IP address inside is a mesh destination, one outside is not. Unset: every IP address
   * other than loopback and link-local is a mesh destination (fail closed).
   */
  public static final ConfigKey MESH_CIDRS = ConfigKey.of("LANYARD_MESH_CIDRS",
      null, "injector.defaults.meshCidrs");

  /**
   * Secure naming: comma list of {@code host-glob=spiffe-id-pattern}, which SPIFFE IDs a mesh host
   * may present (the first matching glob decides; repeat it for several IDs). A mesh host without
   * a statement gets {@code LANYARD_ALLOWED_PEERS}. Set by the pod annotation {@code
   * lanyard.dev/server-ids}.
   */
  public static final ConfigKey SERVER_IDS = ConfigKey.of("LANYARD_SERVER_IDS",
      PodAnnotations.SERVER_IDS, "injector.defaults.serverIds");

  /** {@code host:port} of the admin endpoint; default {@code 127.0.0.1:15000}; {@code off} disables. */
  public static final ConfigKey ADMIN_ADDRESS = ConfigKey.of("LANYARD_ADMIN_ADDRESS");

  /**
   * {@code host:port} of the health port, which serves {@code GET /ready} and nothing else (no
   * identity, audit or metrics), for probes from outside the pod; default {@code off}. The webhook
   * sets {@code 0.0.0.0:15021} for the sidecar, whose startup probe targets it.
   */
  public static final ConfigKey HEALTH_ADDRESS = ConfigKey.of("LANYARD_HEALTH_ADDRESS");

  /**
   * {@code host:port} of the metrics port, which serves {@code GET /metrics} and nothing else, for
   * Prometheus on the pod network; without the metrics that name peers' SPIFFE IDs (those stay on
   * the loopback admin endpoint). Default {@code off}; the webhook sets {@code 0.0.0.0:15020} in
   * one Lanyard process per injected pod (the sidecar, else the first javaagent container).
   */
  public static final ConfigKey METRICS_ADDRESS = ConfigKey.of("LANYARD_METRICS_ADDRESS");

  /** {@code info} (default: one line at start, then only problems) or {@code debug}. */
  public static final ConfigKey LOG = ConfigKey.of("LANYARD_LOG");

  /**
   * Which authorization decisions become audit records on stderr: {@code deny} (default: every
   * refusal and every would-be refusal in audit mode), {@code all}, {@code off}. The admin {@code
   * /audit} endpoint always keeps the most recent decisions.
   */
  public static final ConfigKey AUDIT = ConfigKey.of("LANYARD_AUDIT",
      PodAnnotations.AUDIT, null);

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
   * javaagent: the ports this JVM serves in plain HTTP (or plain TCP) that get mTLS in front of
   * them inside the JVM: {@code <port>=off|permissive|strict} entries and one {@code *=<mode>}
   * (or a bare mode) for every other port; see {@link UpgradeModes}. Default {@code off}: no
   * socket is touched. Set by the pod annotation {@code lanyard.dev/upgrade-inbound}, whose bare
   * mode the webhook narrows to each container's declared ports.
   */
  public static final ConfigKey UPGRADE_INBOUND = ConfigKey.of("LANYARD_UPGRADE_INBOUND",
      PodAnnotations.UPGRADE_INBOUND, "injector.defaults.upgradeInbound");

  /**
   * javaagent: the destination ports whose plain connections to mesh destinations go out as mTLS
   * from inside the JVM (SVID presented, the server judged by secure naming): the same grammar as
   * {@link #UPGRADE_INBOUND}; {@code permissive} falls back to plaintext when the destination
   * does not speak TLS, {@code strict} never does. Default {@code off}. Set by the pod
   * annotation {@code lanyard.dev/upgrade-outbound}, as written.
   */
  public static final ConfigKey UPGRADE_OUTBOUND = ConfigKey.of("LANYARD_UPGRADE_OUTBOUND",
      PodAnnotations.UPGRADE_OUTBOUND, "injector.defaults.upgradeOutbound");

  /**
   * javaagent, written by the webhook: the application's kubelet probes on strict {@link
   * #UPGRADE_INBOUND} ports, moved to {@code /app-health/<container>/<livez|readyz|startupz>} on
   * the health port ({@link #HEALTH_ADDRESS}), which runs them against the application's own
   * listener; see {@link AppProbes}. Default: none.
   */
  public static final ConfigKey APP_PROBES = ConfigKey.of("LANYARD_APP_PROBES");

  /**
   * Comma list of {@code host-glob=audience}: outbound HTTPS requests to a host matching the glob
   * carry {@code Authorization: Bearer <JWT-SVID for audience>}, unless the application set an
   * Authorization header itself. Never sent to another host, never over plain HTTP. The first
   * matching glob wins. Unset: no JWT-SVIDs are sent.
   */
  public static final ConfigKey JWT_AUDIENCES = ConfigKey.of("LANYARD_JWT_AUDIENCES",
      PodAnnotations.JWT_AUDIENCES, null);

  /**
   * Sidecar inbound: requests must carry a valid JWT-SVID for this audience ({@code Authorization:
   * Bearer ...}); the verified SPIFFE ID reaches the application in {@code X-Lanyard-Jwt-Subject}.
   */
  public static final ConfigKey INBOUND_JWT_AUDIENCE = ConfigKey.of("LANYARD_INBOUND_JWT_AUDIENCE",
      PodAnnotations.INBOUND_JWT_AUDIENCE, null);

  /** The pod's name (Downward API, set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey POD_NAME = ConfigKey.of("LANYARD_POD_NAME");

  /** The pod's namespace (Downward API, set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey POD_NAMESPACE = ConfigKey.of("LANYARD_POD_NAMESPACE");

  /** The node's name (Downward API, set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey NODE_NAME = ConfigKey.of("LANYARD_NODE_NAME");

  /** The pod's service account (set by the webhook); fills audit records' {@code attestation}. */
  public static final ConfigKey SERVICE_ACCOUNT = ConfigKey.of("LANYARD_SERVICE_ACCOUNT");

  // The sidecar's own knobs (sidecar-proxy's SidecarConfig parses them).

  /**
   * Sidecar: {@code <meshPort>:<appPort>[/tcp|/http][,...]}, mTLS listeners forwarding to the app
   * on 127.0.0.1; HTTP (identity headers on every request) unless the entry ends in {@code /tcp}.
   * Set by the pod annotation {@code lanyard.dev/inbound}.
   */
  public static final ConfigKey INBOUND =
      ConfigKey.of("LANYARD_INBOUND", PodAnnotations.INBOUND, null);

  /** Sidecar: {@code <listenHost>:<port>=<host>:<port>[,...]}, plain listeners forwarding over mTLS. */
  public static final ConfigKey OUTBOUND = ConfigKey.of("LANYARD_OUTBOUND");

  /** Sidecar: the HTTP forward proxy's address; default {@code 127.0.0.1:15001}; {@code off} disables. */
  public static final ConfigKey OUTBOUND_PROXY = ConfigKey.of("LANYARD_OUTBOUND_PROXY");

  /** Sidecar: how long SIGTERM (or {@code POST /shutdown}) waits for open connections; default 10s. */
  public static final ConfigKey DRAIN = ConfigKey.of("LANYARD_DRAIN");

  /** Sidecar: a connection with no traffic either way for this long is closed; default 5m. */
  public static final ConfigKey IDLE_TIMEOUT = ConfigKey.of("LANYARD_IDLE_TIMEOUT");

  /**
   * Sidecar: a TLS handshake that has not finished after this long is abandoned; default 3s. On a
   * mesh port this is how long a connection without an SVID can stand.
   */
  public static final ConfigKey HANDSHAKE_TIMEOUT = ConfigKey.of("LANYARD_HANDSHAKE_TIMEOUT");

  /**
   * Sidecar: open client connections per listener beyond which new ones are closed; default 1024.
   * On a mesh port only connections of authorized peers count (after the mTLS handshake).
   */
  public static final ConfigKey MAX_CONNECTIONS = ConfigKey.of("LANYARD_MAX_CONNECTIONS");

  /** Sidecar: connections per mesh port still in their TLS handshake; more are refused; default 256. */
  public static final ConfigKey MAX_PENDING_HANDSHAKES =
      ConfigKey.of("LANYARD_MAX_PENDING_HANDSHAKES");

  /** Sidecar: of those, how many one source address may hold; default 64. */
  public static final ConfigKey MAX_PENDING_HANDSHAKES_PER_SOURCE =
      ConfigKey.of("LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE");

  /**
   * Sidecar: event-loop threads relaying connections; default 1. One thread serves many
   * connections; more help only a sidecar whose proxying needs more than one core, and on a pod's
   * few cores each extra thread competes with the app (measured in bench/sidecar.sh).
   */
  public static final ConfigKey WORKER_THREADS = ConfigKey.of("LANYARD_WORKER_THREADS");

  /**
   * Sidecar: where the localhost-only {@code POST /shutdown} listens; default {@code
   * 127.0.0.1:15002}; {@code off} disables. A separate port because the admin endpoint is read-only.
   */
  public static final ConfigKey SHUTDOWN_ADDRESS = ConfigKey.of("LANYARD_SHUTDOWN_ADDRESS");

  /** All keys above, in declaration order (for documentation and diagnostics). */
  public static final List<ConfigKey> ALL = Collections.unmodifiableList(Arrays.asList(
      ALLOWED_PEERS, STARTUP, MESH_HOSTS, EXTERNAL_HOSTS, MESH_CIDRS, SERVER_IDS, ADMIN_ADDRESS, LOG,
      AUDIT, ENDPOINT_SOCKET, PLAIN_PORTS, UPGRADE_INBOUND, UPGRADE_OUTBOUND, APP_PROBES,
      JWT_AUDIENCES, INBOUND_JWT_AUDIENCE, POD_NAME,
      POD_NAMESPACE, NODE_NAME, SERVICE_ACCOUNT, HEALTH_ADDRESS, METRICS_ADDRESS, INBOUND, OUTBOUND,
      OUTBOUND_PROXY,
      DRAIN, IDLE_TIMEOUT, HANDSHAKE_TIMEOUT, MAX_CONNECTIONS, MAX_PENDING_HANDSHAKES,
      MAX_PENDING_HANDSHAKES_PER_SOURCE, WORKER_THREADS, SHUTDOWN_ADDRESS));

  private ConfigKeys() {}
}
