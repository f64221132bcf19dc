package dev.lanyard.tls;

import dev.lanyard.config.AuditMode;
import dev.lanyard.config.CommaList;
import dev.lanyard.config.ConfigKey;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.AppProbes;
import dev.lanyard.config.UpgradeModes;
import dev.lanyard.config.JwtAudiences;
import dev.lanyard.config.MeshCidrs;
import dev.lanyard.config.ServerIds;
import dev.lanyard.config.StartupPolicy;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Lanyard's whole configuration, parsed once at the edge from environment variables and system
 * properties ({@link ConfigKeys}; the system property wins), then passed in. Immutable. Every
 * parse error names the knob, the offending value, the rule and the fix.
 */
public final class LanyardConfig {
  /** Default Workload API address: where the webhook mounts the SPIFFE CSI driver's socket. */
  public static final String DEFAULT_ENDPOINT_SOCKET = "unix:///spiffe-workload-api/spire-agent.sock";

  public static final String DEFAULT_ADMIN_ADDRESS = "127.0.0.1:15000";

  private final PeerPolicy peerPolicy;
  private final StartupPolicy startupPolicy;
  private final MeshDestinations meshDestinations;
  private final ServerIds serverIds;
  private final InetSocketAddress adminAddress;
  private final InetSocketAddress healthAddress;
  private final InetSocketAddress metricsAddress;
  private final boolean debug;
  private final AuditMode auditMode;
  private final String workloadApiAddress;
  private final Set<Integer> plainPorts;
  private final UpgradeModes inboundUpgrade;
  private final AppProbes appProbes;
  private final UpgradeModes outboundUpgrade;
  private final Attestation attestation;
  private final JwtAudiences jwtAudiences;
  private final String inboundJwtAudience;

  private LanyardConfig(Map<String, String> env, Properties sys) {
    this.peerPolicy = parse(ConfigKeys.ALLOWED_PEERS, env, sys, PeerPolicy::parse,
        PeerPolicy.SAME_TRUST_DOMAIN);
    this.startupPolicy = parse(ConfigKeys.STARTUP, env, sys, StartupPolicy::parse,
        StartupPolicy.DEFAULT);
    this.meshDestinations = new MeshDestinations(
        parse(ConfigKeys.MESH_HOSTS, env, sys, HostGlobs::parse,
            HostGlobs.parse(HostGlobs.DEFAULT_MESH_HOSTS)),
        parse(ConfigKeys.EXTERNAL_HOSTS, env, sys,
            text -> HostGlobs.parse(text, ConfigKeys.EXTERNAL_HOSTS), HostGlobs.NONE),
        parse(ConfigKeys.MESH_CIDRS, env, sys, MeshCidrs::parse, MeshCidrs.NONE));
    this.serverIds = parse(ConfigKeys.SERVER_IDS, env, sys, ServerIds::parse, ServerIds.NONE);
    this.adminAddress = parse(ConfigKeys.ADMIN_ADDRESS, env, sys, LanyardConfig::parseAdminAddress,
        parseAdminAddress(DEFAULT_ADMIN_ADDRESS));
    this.healthAddress = parse(ConfigKeys.HEALTH_ADDRESS, env, sys,
        LanyardConfig::parseHealthAddress, null);
    if (adminAddress != null && healthAddress != null
        && adminAddress.getPort() == healthAddress.getPort() && adminAddress.getPort() != 0) {
      throw new IllegalArgumentException(ConfigKeys.HEALTH_ADDRESS.describe() + ": port "
          + healthAddress.getPort() + " is the admin endpoint's (" + ConfigKeys.ADMIN_ADDRESS
          + "); the health port needs its own, e.g. 0.0.0.0:15021");
    }
    this.metricsAddress = parse(ConfigKeys.METRICS_ADDRESS, env, sys,
        LanyardConfig::parseMetricsAddress, null);
    if (metricsAddress != null && metricsAddress.getPort() != 0
        && ((adminAddress != null && adminAddress.getPort() == metricsAddress.getPort())
        || (healthAddress != null && healthAddress.getPort() == metricsAddress.getPort()))) {
      throw new IllegalArgumentException(ConfigKeys.METRICS_ADDRESS.describe() + ": port "
          + metricsAddress.getPort() + " is the admin endpoint's or the health port's ("
          + ConfigKeys.ADMIN_ADDRESS + ", " + ConfigKeys.HEALTH_ADDRESS
          + "); the metrics port needs its own, e.g. 0.0.0.0:15020");
    }
    this.debug = parse(ConfigKeys.LOG, env, sys, LanyardConfig::parseDebug, false);
    this.auditMode = parse(ConfigKeys.AUDIT, env, sys, AuditMode::parse, AuditMode.DENY);
    this.workloadApiAddress =
        ConfigKeys.ENDPOINT_SOCKET.lookup(env, sys).orElse(DEFAULT_ENDPOINT_SOCKET);
    this.plainPorts = parse(ConfigKeys.PLAIN_PORTS, env, sys, LanyardConfig::parsePorts,
        Collections.<Integer>emptySet());
    this.inboundUpgrade = parse(ConfigKeys.UPGRADE_INBOUND, env, sys, UpgradeModes::parse,
        UpgradeModes.OFF);
    this.outboundUpgrade = parse(ConfigKeys.UPGRADE_OUTBOUND, env, sys, UpgradeModes::parse,
        UpgradeModes.OFF);
    this.appProbes = parse(ConfigKeys.APP_PROBES, env, sys, AppProbes::parse, AppProbes.NONE);
    this.attestation = Attestation.fromEnv(env, sys);
    this.jwtAudiences = parse(ConfigKeys.JWT_AUDIENCES, env, sys, JwtAudiences::parse,
        JwtAudiences.NONE);
    this.inboundJwtAudience = parse(ConfigKeys.INBOUND_JWT_AUDIENCE, env, sys,
        JwtAudiences::checkAudience, null);
  }

  /** Parses the given environment and system properties (testable: pass maps). */
  public static LanyardConfig fromEnv(Map<String, String> env, Properties sys) {
    return new LanyardConfig(env, sys);
  }

  /** Parses this process's environment and system properties. */
  public static LanyardConfig fromEnvironment() {
    return fromEnv(System.getenv(), System.getProperties());
  }

  private static <T> T parse(ConfigKey key, Map<String, String> env, Properties sys,
      Function<String, T> parser, T defaultValue) {
    return key.parse(env, sys, parser, defaultValue);
  }

  /** {@code off} gives null (disabled); otherwise {@code host:port}. */
  private static InetSocketAddress parseAdminAddress(String text) {
    return parseAddress(text, "admin address", "127.0.0.1:15000", "the admin endpoint");
  }

  private static InetSocketAddress parseHealthAddress(String text) {
    return parseAddress(text, "health address", "0.0.0.0:15021", "the health port");
  }

  private static InetSocketAddress parseMetricsAddress(String text) {
    return parseAddress(text, "metrics address", "0.0.0.0:15020", "the metrics port");
  }

  private static InetSocketAddress parseAddress(String text, String what, String example,
      String listener) {
    if (text.equalsIgnoreCase("off")) {
      return null;
    }
    int colon = text.lastIndexOf(':');
    String host = colon <= 0 ? "" : text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = colon < 0 ? -1 : parsePort(text.substring(colon + 1));
    if (host.isEmpty() || port < 0) {
      throw new IllegalArgumentException(what + " \"" + text + "\" is not host:port;"
          + " write e.g. " + example + ", or off to disable " + listener);
    }
    return new InetSocketAddress(host, port);
  }

  private static boolean parseDebug(String text) {
    switch (text.toLowerCase(Locale.ROOT)) {
      case "info":
        return false;
      case "debug":
        return true;
      default:
        throw new IllegalArgumentException("log level \"" + text + "\" is not info or debug;"
            + " write info (default) or debug");
    }
  }

  private static Set<Integer> parsePorts(String text) {
    Set<Integer> ports = new TreeSet<>();
    for (String item : CommaList.entries(text)) {
      int port = parsePort(item);
      if (port < 1) {
        throw new IllegalArgumentException("plain port \"" + item + "\" is not a port number"
            + " (1-65535); write a comma list such as 8080,9090");
      }
      ports.add(port);
    }
    return Collections.unmodifiableSet(ports);
  }

  /** The port, or -1 when {@code text} is not a number in 0-65535. */
  private static int parsePort(String text) {
    try {
      int port = Integer.parseInt(text.trim());
      return port >= 0 && port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  public PeerPolicy peerPolicy() {
    return peerPolicy;
  }

  public StartupPolicy startupPolicy() {
    return startupPolicy;
  }

  /** {@code LANYARD_MESH_HOSTS}: hosts that must present an X.509-SVID (no Web PKI fallback). */
  public HostGlobs meshHosts() {
    return meshDestinations.meshHosts();
  }

  /** Which outbound hosts are mesh destinations (mesh hosts, external hosts, mesh CIDRs). */
  public MeshDestinations meshDestinations() {
    return meshDestinations;
  }

  /** Secure naming: which SPIFFE IDs a mesh host may present ({@link ServerIds#NONE} when unset). */
  public ServerIds serverIds() {
    return serverIds;
  }

  /** Where the admin endpoint listens; empty when {@code off}. */
  public Optional<InetSocketAddress> adminAddress() {
    return Optional.ofNullable(adminAddress);
  }

  /** Where the metrics-only port listens; empty when {@code off} (the default). */
  public Optional<InetSocketAddress> metricsAddress() {
    return Optional.ofNullable(metricsAddress);
  }

  /** Where the readiness-only health port listens; empty when {@code off} (the default). */
  public Optional<InetSocketAddress> healthAddress() {
    return Optional.ofNullable(healthAddress);
  }

  public boolean debug() {
    return debug;
  }

  public AuditMode auditMode() {
    return auditMode;
  }

  /** The Workload API address ({@code SPIFFE_ENDPOINT_SOCKET}). */
  public String workloadApiAddress() {
    return workloadApiAddress;
  }

  /** Server ports that do not require a client certificate. */
  public Set<Integer> plainPorts() {
    return plainPorts;
  }

  /** {@code LANYARD_UPGRADE_INBOUND}: plain server ports upgraded to mTLS in the JVM. */
  public UpgradeModes inboundUpgrade() {
    return inboundUpgrade;
  }

  /**
   * {@code LANYARD_APP_PROBES}: the application's kubelet probes the health port runs (the
   * webhook moved them off strict ports).
   */
  public AppProbes appProbes() {
    return appProbes;
  }

  /** {@code LANYARD_UPGRADE_OUTBOUND}: plain connections to mesh destinations sent as mTLS. */
  public UpgradeModes outboundUpgrade() {
    return outboundUpgrade;
  }

  public Attestation attestation() {
    return attestation;
  }

  /** Which outbound hosts get a JWT-SVID, for which audience ({@link JwtAudiences#NONE} when unset). */
  public JwtAudiences jwtAudiences() {
    return jwtAudiences;
  }

  /** The audience inbound requests must carry a JWT-SVID for (sidecar); empty when unset. */
  public Optional<String> inboundJwtAudience() {
    return Optional.ofNullable(inboundJwtAudience);
  }

  /** Whether anything needs JWT-SVIDs or JWT bundles from the Workload API. */
  public boolean usesJwt() {
    return !jwtAudiences.isEmpty() || inboundJwtAudience != null;
  }

  @Override
  public String toString() {
    return "allowed_peers=[" + peerPolicy + "] startup=" + startupPolicy + " mesh_hosts=["
        + meshDestinations.meshHosts() + "]"
        + (meshDestinations.externalHosts().globs().isEmpty() ? ""
            : " external_hosts=[" + meshDestinations.externalHosts() + "]")
        + (meshDestinations.cidrs().isEmpty() ? "" : " mesh_cidrs=[" + meshDestinations.cidrs() + "]")
        + (serverIds.isEmpty() ? "" : " server_ids=[" + serverIds + "]")
        + " admin=" + (adminAddress == null ? "off" : adminAddress)
        + (healthAddress == null ? "" : " health=" + healthAddress)
        + (metricsAddress == null ? "" : " metrics=" + metricsAddress) + " audit="
        + auditMode.name().toLowerCase(Locale.ROOT) + " socket=" + workloadApiAddress
        + " plain_ports=" + plainPorts
        + (inboundUpgrade.enabled() ? " upgrade_inbound=" + inboundUpgrade : "")
        + (outboundUpgrade.enabled() ? " upgrade_outbound=" + outboundUpgrade : "")
        + (jwtAudiences.isEmpty() ? "" : " jwt_audiences=[" + jwtAudiences + "]")
        + (inboundJwtAudience == null ? "" : " inbound_jwt_audience=" + inboundJwtAudience);
  }
}
