package dev.lanyard.proxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

/**
 * The sidecar-only knobs, parsed once at the edge. The shared ones (allowed peers, mesh hosts,
 * startup, admin, audit, socket) stay in {@code dev.lanyard.tls.LanyardConfig}; as there, every
 * {@code LANYARD_X} has a {@code lanyard.x} system property that wins, and every parse error names
 * the knob, the value, the rule and the fix.
 */
final class SidecarConfig {
  /**
   * {@code <meshPort>:<appPort>[/tcp|/http][,...]}: mTLS listeners forwarding to the app on
   * 127.0.0.1; HTTP (identity headers on every request) unless the entry ends in {@code /tcp}.
   */
  static final String INBOUND = "LANYARD_INBOUND";
  /** {@code <listenHost>:<port>=<host>:<port>[,...]}: plain listeners forwarding over mTLS. */
  static final String OUTBOUND = "LANYARD_OUTBOUND";
  /** The HTTP forward proxy's address; default {@code 127.0.0.1:15001}; {@code off} disables. */
  static final String OUTBOUND_PROXY = "LANYARD_OUTBOUND_PROXY";
  /** How long SIGTERM (or {@code POST /shutdown}) waits for open connections; default 10s. */
  static final String DRAIN = "LANYARD_DRAIN";
  /** A connection with no traffic either way for this long is closed; default 5m. */
  static final String IDLE_TIMEOUT = "LANYARD_IDLE_TIMEOUT";
  /**
   * A TLS handshake that has not finished after this long is abandoned; default 3s. On a mesh
   * port this is how long a connection without an SVID can stand.
   */
  static final String HANDSHAKE_TIMEOUT = "LANYARD_HANDSHAKE_TIMEOUT";
  /**
   * Open client connections per listener beyond which new ones are closed; default 1024. On a
   * mesh port only connections of authorized peers count (after the mTLS handshake).
   */
  static final String MAX_CONNECTIONS = "LANYARD_MAX_CONNECTIONS";
  /** Connections per mesh port still in their TLS handshake; more are refused at once; default 256. */
  static final String MAX_PENDING_HANDSHAKES = "LANYARD_MAX_PENDING_HANDSHAKES";
  /** Of those, how many one source address may hold; default 64. */
  static final String MAX_PENDING_HANDSHAKES_PER_SOURCE = "LANYARD_MAX_PENDING_HANDSHAKES_PER_SOURCE";
  /**
   * Event-loop threads relaying connections; default 1. One thread serves many connections (each
   * stays on its thread); more help only a sidecar whose proxying needs more than one core, and on
   * a pod's few cores each extra thread competes with the app (measured in bench/sidecar.sh).
   */
  static final String WORKER_THREADS = "LANYARD_WORKER_THREADS";
  /**
   * Where the localhost-only {@code POST /shutdown} listens; default {@code 127.0.0.1:15002};
   * {@code off} disables. A separate port because the shared admin endpoint is read-only.
   */
  static final String SHUTDOWN_ADDRESS = "LANYARD_SHUTDOWN_ADDRESS";

  static final String DEFAULT_OUTBOUND_PROXY = "127.0.0.1:15001";
  static final String DEFAULT_SHUTDOWN_ADDRESS = "127.0.0.1:15002";

  private final List<InboundRoute> inbound;
  private final List<OutboundRoute> outbound;
  private final HostAndPort outboundProxy;
  private final Duration drain;
  private final Duration idleTimeout;
  private final Duration handshakeTimeout;
  private final int maxConnections;
  private final int maxPendingHandshakes;
  private final int maxPendingHandshakesPerSource;
  private final int workerThreads;
  private final HostAndPort shutdownAddress;

  private SidecarConfig(Map<String, String> env, Properties sys) {
    this.inbound = parse(INBOUND, env, sys, SidecarConfig::parseInbound, List.of());
    this.outbound = parse(OUTBOUND, env, sys, SidecarConfig::parseOutbound, List.of());
    this.outboundProxy = parse(OUTBOUND_PROXY, env, sys, SidecarConfig::parseOptionalAddress,
        Optional.of(HostAndPort.parse(DEFAULT_OUTBOUND_PROXY))).orElse(null);
    this.drain = parse(DRAIN, env, sys, Durations::parse, Duration.ofSeconds(10));
    this.idleTimeout = parse(IDLE_TIMEOUT, env, sys, Durations::parse, Duration.ofMinutes(5));
    this.handshakeTimeout = parse(HANDSHAKE_TIMEOUT, env, sys, Durations::parse, Duration.ofSeconds(3));
    this.maxConnections = parse(MAX_CONNECTIONS, env, sys, SidecarConfig::parsePositive, 1024);
    this.maxPendingHandshakes = parse(MAX_PENDING_HANDSHAKES, env, sys, SidecarConfig::parsePositive, 256);
    this.maxPendingHandshakesPerSource = parse(MAX_PENDING_HANDSHAKES_PER_SOURCE, env, sys,
        SidecarConfig::parsePositive, Math.min(64, maxPendingHandshakes));
    if (maxPendingHandshakesPerSource > maxPendingHandshakes) {
      throw new IllegalArgumentException(MAX_PENDING_HANDSHAKES_PER_SOURCE + "="
          + maxPendingHandshakesPerSource + " is above " + MAX_PENDING_HANDSHAKES + "="
          + maxPendingHandshakes + ", which caps every address together; set it to a fraction of it"
          + " (the defaults are 64 of 256) so that one address cannot hold every handshake slot");
    }
    this.workerThreads = parse(WORKER_THREADS, env, sys, SidecarConfig::parsePositive, 1);
    this.shutdownAddress = parse(SHUTDOWN_ADDRESS, env, sys, SidecarConfig::parseOptionalAddress,
        Optional.of(HostAndPort.parse(DEFAULT_SHUTDOWN_ADDRESS))).orElse(null);
    if (inbound.isEmpty() && outbound.isEmpty() && outboundProxy == null) {
      throw new IllegalArgumentException("nothing to do: set " + INBOUND + " (meshPort:appPort), "
          + OUTBOUND + " (127.0.0.1:port=host:port) or " + OUTBOUND_PROXY + " (not off)");
    }
  }

  static SidecarConfig fromEnv(Map<String, String> env, Properties sys) {
    return new SidecarConfig(env, sys);
  }

  static SidecarConfig fromEnvironment() {
    return fromEnv(System.getenv(), System.getProperties());
  }

  /** {@code LANYARD_X} → {@code lanyard.x}, the same pairing spiffe-tls uses. */
  static String propertyName(String envName) {
    return envName.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  private static <T> T parse(String key, Map<String, String> env, Properties sys,
      Function<String, T> parser, T defaultValue) {
    String value = sys.getProperty(propertyName(key));
    String source = "-D" + propertyName(key);
    if (value == null) {
      value = env.get(key);
      source = key;
    }
    if (value == null || value.isBlank()) {
      return defaultValue;
    }
    try {
      return parser.apply(value.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + "=" + value + ": " + e.getMessage(), e);
    }
  }

  private static List<InboundRoute> parseInbound(String text) {
    List<InboundRoute> routes = new ArrayList<>();
    Set<Integer> meshPorts = new HashSet<>();
    for (String entry : text.split(",")) {
      String item = entry.trim();
      if (item.isEmpty()) {
        continue;
      }
      boolean raw = endsWithIgnoreCase(item, InboundRoute.RAW_SUFFIX);
      String ports = raw || endsWithIgnoreCase(item, InboundRoute.HTTP_SUFFIX)
          ? item.substring(0, item.lastIndexOf('/')) : item;
      String[] parts = ports.split(":");
      int meshPort = parts.length == 2 ? port(parts[0]) : -1;
      int appPort = parts.length == 2 ? port(parts[1]) : -1;
      if (meshPort < 1 || appPort < 1) {
        throw new IllegalArgumentException("entry \"" + item + "\" is not meshPort:appPort with"
            + " ports in 1-65535, optionally followed by /tcp (raw TCP, no identity headers) or"
            + " /http (the default); write e.g. 8443:8080,15432:5432/tcp");
      }
      if (!meshPorts.add(meshPort)) {
        throw new IllegalArgumentException("mesh port " + meshPort + " is listed twice");
      }
      routes.add(new InboundRoute(meshPort, appPort, raw));
    }
    return List.copyOf(routes);
  }

  private static boolean endsWithIgnoreCase(String text, String suffix) {
    return text.regionMatches(true, text.length() - suffix.length(), suffix, 0, suffix.length());
  }

  private static List<OutboundRoute> parseOutbound(String text) {
    List<OutboundRoute> routes = new ArrayList<>();
    for (String entry : text.split(",")) {
      String item = entry.trim();
      if (item.isEmpty()) {
        continue;
      }
      int equals = item.indexOf('=');
      if (equals < 0) {
        throw new IllegalArgumentException("entry \"" + item + "\" is not listen=upstream;"
            + " write e.g. 127.0.0.1:9001=classifier.ai-agents.svc:8443");
      }
      routes.add(new OutboundRoute(HostAndPort.parse(item.substring(0, equals)),
          HostAndPort.parse(item.substring(equals + 1))));
    }
    return List.copyOf(routes);
  }

  private static Optional<HostAndPort> parseOptionalAddress(String text) {
    if (text.equalsIgnoreCase("off")) {
      return Optional.empty();
    }
    return Optional.of(HostAndPort.parse(text));
  }

  private static int parsePositive(String text) {
    try {
      int value = Integer.parseInt(text);
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("\"" + text + "\" is not a positive whole number");
  }

  private static int port(String text) {
    try {
      int port = Integer.parseInt(text.trim());
      return port >= 1 && port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * {@code LANYARD_INBOUND_JWT_AUDIENCE} requires a JWT-SVID on every request of every mesh port;
   * a raw port carries no requests to check, so the two together are refused at start.
   */
  void checkJwtAudience(Optional<String> audience) {
    if (audience.isEmpty()) {
      return;
    }
    for (InboundRoute route : inbound) {
      if (route.raw()) {
        throw new IllegalArgumentException(INBOUND + " entry " + route + " is raw TCP, but"
            + " LANYARD_INBOUND_JWT_AUDIENCE=" + audience.get() + " requires a JWT-SVID on every"
            + " request, and raw bytes carry none; serve that port as HTTP (drop /tcp) or run a"
            + " second sidecar without LANYARD_INBOUND_JWT_AUDIENCE for it");
      }
    }
  }

  List<InboundRoute> inbound() {
    return inbound;
  }

  List<OutboundRoute> outbound() {
    return outbound;
  }

  /** Empty when {@code LANYARD_OUTBOUND_PROXY=off}. */
  Optional<HostAndPort> outboundProxy() {
    return Optional.ofNullable(outboundProxy);
  }

  Duration drain() {
    return drain;
  }

  Duration idleTimeout() {
    return idleTimeout;
  }

  Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  int workerThreads() {
    return workerThreads;
  }

  int maxConnections() {
    return maxConnections;
  }

  int maxPendingHandshakes() {
    return maxPendingHandshakes;
  }

  int maxPendingHandshakesPerSource() {
    return maxPendingHandshakesPerSource;
  }

  /** Empty when {@code LANYARD_SHUTDOWN_ADDRESS=off}. */
  Optional<HostAndPort> shutdownAddress() {
    return Optional.ofNullable(shutdownAddress);
  }

  @Override
  public String toString() {
    return "inbound=" + inbound + " outbound=" + outbound + " outbound_proxy="
        + (outboundProxy == null ? "off" : outboundProxy) + " drain=" + drain + " idle="
        + idleTimeout + " handshake=" + handshakeTimeout + " max_connections=" + maxConnections
        + " max_pending_handshakes=" + maxPendingHandshakes + " (per source "
        + maxPendingHandshakesPerSource + ")"
        + " shutdown=" + (shutdownAddress == null ? "off" : shutdownAddress);
  }
}
