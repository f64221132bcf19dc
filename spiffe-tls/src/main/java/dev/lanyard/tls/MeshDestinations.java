package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.MeshCidrs;
import dev.lanyard.reasons.Reason;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which outbound hosts are mesh destinations: the one rule the javaagent, the sidecar and the JWT
 * sender share. A mesh destination must present an X.509-SVID (and only there is an SVID accepted
 * as a server's identity); every other host is judged by Web PKI alone. A pure function of the host
 * the client meant to reach, never of the address DNS gave for it: an attacker who spoofs DNS
 * cannot turn {@code api.stripe.com} into a mesh host, nor {@code orders.prod} into a public one.
 * First match wins:
 *
 * <ol>
 *   <li>no host at all (an engine created without a peer host): mesh, fail closed;
 *   <li>a glob of {@code LANYARD_MESH_HOSTS} (default {@code *.svc,*.svc.cluster.local,
 *       *.cluster.local}): mesh;
 *   <li>a glob of {@code LANYARD_EXTERNAL_HOSTS} (default empty; the escape hatch for public
 *       two-label hosts such as {@code github.com}): external;
 *   <li>an IP address inside {@code LANYARD_MESH_CIDRS}: mesh;
 *   <li>{@code localhost} and loopback or unspecified addresses: local, the pod itself (nothing on
 *       the network can stand there), so the certificate decides as it always did: an SVID is
 *       authorized like a mesh peer's, any other certificate by Web PKI;
 *   <li>link-local addresses (e.g. the cloud metadata service): external;
 *   <li>any other IP address: external when {@code LANYARD_MESH_CIDRS} is set (it is outside the
 *       cluster's ranges), mesh when it is not (fail closed: a cluster IP must present an SVID);
 *   <li>a single-label name ({@code orders}: a Service of the pod's namespace through the DNS
 *       search path): mesh;
 *   <li>a two-label name ({@code orders.prod}: Service.namespace): mesh;
 *   <li>any other name: external.
 * </ol>
 */
public final class MeshDestinations {
  /** Rule codes (the audit record's {@code rule} when a destination decides a refusal). */
  public static final Reason NO_HOST = Reason.MESH_DESTINATION_NO_HOST;
  public static final Reason SINGLE_LABEL = Reason.MESH_DESTINATION_SINGLE_LABEL;
  public static final Reason TWO_LABEL = Reason.MESH_DESTINATION_TWO_LABEL;
  public static final Reason IP_ADDRESS = Reason.MESH_DESTINATION_IP_ADDRESS;
  public static final Reason LOCAL = Reason.LOCAL_DESTINATION_LOOPBACK;
  public static final Reason LINK_LOCAL = Reason.EXTERNAL_DESTINATION_LINK_LOCAL;
  public static final Reason OUTSIDE_CIDRS = Reason.EXTERNAL_DESTINATION_OUTSIDE_MESH_CIDRS;
  public static final Reason PUBLIC_NAME = Reason.EXTERNAL_DESTINATION_PUBLIC_NAME;

  public static final MeshDestinations DEFAULT = new MeshDestinations(
      HostGlobs.parse(HostGlobs.DEFAULT_MESH_HOSTS), HostGlobs.NONE, MeshCidrs.NONE);

  private final HostGlobs meshHosts;
  private final HostGlobs externalHosts;
  private final MeshCidrs cidrs;

  public MeshDestinations(HostGlobs meshHosts, HostGlobs externalHosts, MeshCidrs cidrs) {
    this.meshHosts = Objects.requireNonNull(meshHosts, "meshHosts");
    this.externalHosts = Objects.requireNonNull(externalHosts, "externalHosts");
    this.cidrs = Objects.requireNonNull(cidrs, "cidrs");
  }

  /** Decides {@code host} (a name or an IP literal, as the client named it; null when unknown). */
  public Destination classify(String host) {
    if (host == null || host.trim().isEmpty()) {
      return mesh(null, NO_HOST, "no host name or address is known for this connection (e.g. a"
          + " TLS engine created without a peer host), so it is treated as a mesh destination"
          + " (fail closed)");
    }
    String name = normalize(host);
    Optional<String> glob = meshHosts.match(name);
    if (glob.isPresent()) {
      return mesh(name, Reason.MESH_HOSTS, name + " matches "
          + ConfigKeys.MESH_HOSTS.env() + " pattern " + glob.get());
    }
    glob = externalHosts.match(name);
    if (glob.isPresent()) {
      return external(name, Reason.EXTERNAL_HOSTS, name + " matches "
          + ConfigKeys.EXTERNAL_HOSTS.env() + " pattern " + glob.get());
    }
    Optional<InetAddress> address = MeshCidrs.ipLiteral(name);
    if (address.isPresent()) {
      return classifyAddress(name, address.get());
    }
    if (name.equals("localhost")) {
      return local(name, name + " is this pod's own loopback name");
    }
    int labels = name.split("\\.", -1).length;
    if (labels == 1) {
      return mesh(name, SINGLE_LABEL, name + " is a single-label name (a Service of the pod's"
          + " namespace, reached through the DNS search path)");
    }
    if (labels == 2) {
      return mesh(name, TWO_LABEL, name + " is a two-label name (service.namespace, reached"
          + " through the DNS search path); list it in " + ConfigKeys.EXTERNAL_HOSTS.env()
          + " if it is a public host");
    }
    return external(name, PUBLIC_NAME, name + " has three or more labels and matches no "
        + ConfigKeys.MESH_HOSTS.env() + " pattern");
  }

  private Destination classifyAddress(String name, InetAddress address) {
    Optional<String> range = cidrs.match(address);
    if (range.isPresent()) {
      return mesh(name, Reason.MESH_CIDRS, name + " is inside "
          + ConfigKeys.MESH_CIDRS.env() + " range " + range.get());
    }
    if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
      return local(name, name + " is a loopback address (this pod itself)");
    }
    if (address.isLinkLocalAddress()) {
      return external(name, LINK_LOCAL, name + " is a link-local address (never another pod)");
    }
    if (!cidrs.isEmpty()) {
      return external(name, OUTSIDE_CIDRS, name + " is outside " + ConfigKeys.MESH_CIDRS.env()
          + " [" + cidrs + "]");
    }
    return mesh(name, IP_ADDRESS, name + " is an IP address and " + ConfigKeys.MESH_CIDRS.env()
        + " is unset, so it is treated as a cluster address (fail closed; set "
        + ConfigKeys.MESH_CIDRS.env() + " to the cluster's service and pod ranges)");
  }

  /** Lower case, without a trailing dot or IPv6 brackets: how hosts are compared. */
  public static String normalize(String host) {
    String name = host.trim().toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    if (name.startsWith("[") && name.endsWith("]")) {
      name = name.substring(1, name.length() - 1);
    }
    return name;
  }

  public HostGlobs meshHosts() {
    return meshHosts;
  }

  public HostGlobs externalHosts() {
    return externalHosts;
  }

  public MeshCidrs cidrs() {
    return cidrs;
  }

  private static Destination mesh(String host, Reason rule, String reason) {
    return new Destination(host, Kind.MESH, rule, reason);
  }

  private static Destination external(String host, Reason rule, String reason) {
    return new Destination(host, Kind.EXTERNAL, rule, reason);
  }

  private static Destination local(String host, String reason) {
    return new Destination(host, Kind.LOCAL, LOCAL, reason);
  }

  /** What a destination is. */
  public enum Kind {
    /** Must present an X.509-SVID; only there is an SVID a server's identity. */
    MESH,
    /** Web PKI alone; an SVID is no identity here. */
    EXTERNAL,
    /** The pod itself (loopback): an SVID is authorized like a mesh peer's, else Web PKI. */
    LOCAL
  }

  @Override
  public String toString() {
    return "mesh_hosts=[" + meshHosts + "] external_hosts=[" + externalHosts + "] mesh_cidrs=["
        + cidrs + "]";
  }

  /** One decision: mesh, external or local, the rule that decided and a sentence saying why. */
  public static final class Destination {
    private final String host;
    private final Kind kind;
    private final Reason rule;
    private final String reason;

    Destination(String host, Kind kind, Reason rule, String reason) {
      this.host = host;
      this.kind = kind;
      this.rule = rule;
      this.reason = reason;
    }

    public Kind kind() {
      return kind;
    }

    /** The normalized host; null when none was known. */
    public String host() {
      return host;
    }

    /** Whether the server must present an X.509-SVID. */
    public boolean mesh() {
      return kind == Kind.MESH;
    }

    /** Whether an SVID may be accepted as the server's identity here (mesh or local). */
    public boolean acceptsSvid() {
      return kind != Kind.EXTERNAL;
    }

    /** {@code mesh_hosts}, {@code mesh_destination_single_label}, ... */
    public Reason rule() {
      return rule;
    }

    public String reason() {
      return reason;
    }

    @Override
    public String toString() {
      return kind.name().toLowerCase(Locale.ROOT) + " (" + rule + "): " + reason;
    }
  }
}
