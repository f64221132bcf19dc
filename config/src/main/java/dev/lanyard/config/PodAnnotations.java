package dev.lanyard.config;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The pod labels and annotations Lanyard reads and writes (public contract: the README's
 * configuration reference). Those that set an environment variable are also named by their
 * {@link ConfigKey}.
 */
public final class PodAnnotations {
  /**
   * Namespace label {@code enabled} (the webhook's namespaceSelector); pod label or annotation
   * {@code false} opts a pod out.
   */
  public static final String INJECT = "lanyard.dev/inject";

  public static final String MODE = "lanyard.dev/mode";
  public static final String CONTAINERS = "lanyard.dev/containers";
  /** Followed by a container's name: {@code jvm} or {@code other}. */
  public static final String RUNTIME_PREFIX = "lanyard.dev/runtime.";
  public static final String ALLOWED_PEERS = "lanyard.dev/allowed-peers";
  public static final String STARTUP = "lanyard.dev/startup";
  public static final String INBOUND = "lanyard.dev/inbound";
  public static final String JWT_AUDIENCES = "lanyard.dev/jwt-audiences";
  public static final String INBOUND_JWT_AUDIENCE = "lanyard.dev/inbound-jwt-audience";
  public static final String AUDIT = "lanyard.dev/audit";
  /** Secure naming: {@code host-glob=spiffe-id-pattern,...}, which IDs a mesh host may present. */
  public static final String SERVER_IDS = "lanyard.dev/server-ids";
  /**
   * {@code false}: the webhook leaves the kubelet probes on strict upgraded ports as they are
   * (they then fail); default: rewritten to the javaagent's health port.
   */
  public static final String REWRITE_PROBES = "lanyard.dev/rewrite-probes";
  /**
   * Plain ports of the pod's JVM containers served with mTLS by the javaagent ({@code
   * LANYARD_UPGRADE_INBOUND}); a bare mode means each container's declared ports.
   */
  public static final String UPGRADE_INBOUND = "lanyard.dev/upgrade-inbound";
  /** Destination ports whose plain calls go out as mTLS ({@code LANYARD_UPGRADE_OUTBOUND}). */
  public static final String UPGRADE_OUTBOUND = "lanyard.dev/upgrade-outbound";
  /** Written by the webhook: JSON, what was injected. */
  public static final String STATUS = "lanyard.dev/status";

  /** Every name above ({@link #RUNTIME_PREFIX} as written, ending in a dot). */
  public static final List<String> ALL = Collections.unmodifiableList(Arrays.asList(INJECT, MODE,
      CONTAINERS, RUNTIME_PREFIX, ALLOWED_PEERS, STARTUP, INBOUND, JWT_AUDIENCES,
      INBOUND_JWT_AUDIENCE, AUDIT, SERVER_IDS, UPGRADE_INBOUND, UPGRADE_OUTBOUND, STATUS,
      REWRITE_PROBES));

  private PodAnnotations() {}
}
