package dev.lanyard.proxy;

import dev.lanyard.config.CommaList;
import dev.lanyard.config.ConfigKey;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.Durations;
import dev.lanyard.config.InboundPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

/**
 * The sidecar-only knobs ({@link ConfigKeys}, where each is documented), parsed once at the edge.
 * The shared ones (allowed peers, mesh hosts, startup, admin, audit, socket) are parsed by {@code
 * dev.lanyard.tls.LanyardConfig}; both look them up and name them in errors through {@link
 * ConfigKey}.
 */
final class SidecarConfig {
  static final ConfigKey INBOUND = ConfigKeys.INBOUND;
  static final ConfigKey OUTBOUND = ConfigKeys.OUTBOUND;
  static final ConfigKey OUTBOUND_PROXY = ConfigKeys.OUTBOUND_PROXY;
  static final ConfigKey DRAIN = ConfigKeys.DRAIN;
  static final ConfigKey IDLE_TIMEOUT = ConfigKeys.IDLE_TIMEOUT;
  static final ConfigKey HANDSHAKE_TIMEOUT = ConfigKeys.HANDSHAKE_TIMEOUT;
  static final ConfigKey MAX_CONNECTIONS = ConfigKeys.MAX_CONNECTIONS;
  static final ConfigKey MAX_PENDING_HANDSHAKES = ConfigKeys.MAX_PENDING_HANDSHAKES;
  static final ConfigKey MAX_PENDING_HANDSHAKES_PER_SOURCE =
      ConfigKeys.MAX_PENDING_HANDSHAKES_PER_SOURCE;
  static final ConfigKey WORKER_THREADS = ConfigKeys.WORKER_THREADS;
  static final ConfigKey SHUTDOWN_ADDRESS = ConfigKeys.SHUTDOWN_ADDRESS;

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
    this.drain = parse(DRAIN, env, sys, SidecarConfig::parseDuration, Duration.ofSeconds(10));
    this.idleTimeout = parse(IDLE_TIMEOUT, env, sys, SidecarConfig::parseDuration, Duration.ofMinutes(5));
    this.handshakeTimeout = parse(HANDSHAKE_TIMEOUT, env, sys, SidecarConfig::parseDuration, Duration.ofSeconds(3));
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

  private static <T> T parse(ConfigKey key, Map<String, String> env, Properties sys,
      Function<String, T> parser, T defaultValue) {
    return key.parse(env, sys, parser, defaultValue);
  }

  private static Duration parseDuration(String text) {
    return Durations.parse(text, "value");
  }

  private static List<InboundRoute> parseInbound(String text) {
    return InboundPorts.parse(text).stream()
        .map(entry -> new InboundRoute(entry.meshPort(), entry.appPort(), entry.raw()))
        .toList();
  }

  private static List<OutboundRoute> parseOutbound(String text) {
    List<OutboundRoute> routes = new ArrayList<>();
    for (String item : CommaList.entries(text)) {
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
