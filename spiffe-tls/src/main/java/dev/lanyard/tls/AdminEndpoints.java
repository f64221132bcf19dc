package dev.lanyard.tls;

import dev.lanyard.config.HostGlobs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the admin endpoint answers, without the HTTP plumbing (so it is tested as a function):
 * {@code GET /identity}, {@code /ready}, {@code /metrics}, {@code /audit?limit=N}; anything else
 * 404, any other method 405. Never serves key material: only certificates' public facts.
 */
final class AdminEndpoints {
  private static final String JSON = "application/json";
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final int DEFAULT_AUDIT_LIMIT = 100;

  private final SvidSource source;
  private final PeerPolicy policy;
  private final HostGlobs meshHosts;
  private final RecentPeers peers;
  private final AuditLog audit;
  /** Asked for at the first {@code GET /metrics}: until then no Prometheus class is needed. */
  private final Supplier<LanyardMetrics> metrics;
  private final Clock clock;
  private volatile Supplier<Map<String, Object>> identityExtras = Map::of;

  AdminEndpoints(SvidSource source, PeerPolicy policy, HostGlobs meshHosts, RecentPeers peers,
      AuditLog audit, LanyardMetrics metrics, Clock clock) {
    this(source, policy, meshHosts, peers, audit, () -> metrics, clock);
  }

  AdminEndpoints(SvidSource source, PeerPolicy policy, HostGlobs meshHosts, RecentPeers peers,
      AuditLog audit, Supplier<LanyardMetrics> metrics, Clock clock) {
    this.source = source;
    this.policy = policy;
    this.meshHosts = meshHosts;
    this.peers = peers;
    this.audit = audit;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Fields a host adds at the end of {@code /identity} (the javaagent: its TLS coverage). */
  void identityExtras(Supplier<Map<String, Object>> extras) {
    this.identityExtras = extras;
  }

  Response handle(String method, String path, String query) {
    boolean known = path.equals("/identity") || path.equals("/ready") || path.equals("/metrics")
        || path.equals("/audit");
    if (!known) {
      return Response.text(404, "not found: " + path + " (try /identity, /ready, /metrics, /audit)\n");
    }
    if (!method.equals("GET")) {
      return Response.text(405, method + " not allowed: the admin endpoint is read-only (GET)\n");
    }
    switch (path) {
      case "/identity":
        return new Response(200, JSON, Json.write(identity()) + "\n");
      case "/ready":
        return ready();
      case "/metrics":
        return metrics();
      default:
        return auditRecords(query);
    }
  }

  /**
   * The health port's whole surface: {@code GET /ready}'s status with a body that names nothing
   * (no SPIFFE ID, no Workload API address), because that port faces the pod network; everything
   * else is 404. The admin endpoint's {@code /ready} says why a workload is not ready.
   */
  Response health(String method, String path, String query) {
    if (!path.equals("/ready")) {
      return Response.text(404, "not found: " + path + " (the health port serves only GET /ready;"
          + " /identity, /metrics and /audit are on the admin endpoint, on loopback)\n");
    }
    if (!method.equals("GET")) {
      return Response.text(405, method + " not allowed: the health port is read-only (GET)\n");
    }
    return ready().status == 200 ? Response.text(200, "ready\n")
        : Response.text(503, "not ready (GET /ready on the admin endpoint says why)\n");
  }

  /**
   * The metrics port's whole surface: {@code GET /metrics} without the metrics that name peers
   * ({@link LanyardMetrics#writePublicTo}), because that port faces the pod network for
   * Prometheus; everything else is 404.
   */
  Response metricsPort(String method, String path, String query) {
    if (!path.equals("/metrics")) {
      return Response.text(404, "not found: " + path + " (the metrics port serves only GET"
          + " /metrics; /identity, /ready and /audit are on the admin endpoint, on loopback)\n");
    }
    if (!method.equals("GET")) {
      return Response.text(405, method + " not allowed: the metrics port is read-only (GET)\n");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      metrics.get().writePublicTo(out);
    } catch (IOException e) {
      return Response.text(500, "cannot write metrics: " + e.getMessage() + "\n");
    }
    return new Response(200, metrics.get().contentType(), out.toByteArray());
  }

  private Map<String, Object> identity() {
    Instant now = clock.instant();
    Map<String, Object> out = new LinkedHashMap<>();
    // One state for the whole answer: its SVID, rotation count and last error belong together.
    SvidSourceState state = source.state();
    Optional<Identity> current = state.current();
    out.put("ready", current.map(identity -> identity.isValidAt(now)).orElse(false));
    current.ifPresent(identity -> {
      out.put("spiffe_id", identity.spiffeId().toString());
      out.put("serial", identity.serialHex());
      out.put("not_before", identity.notBefore().toString());
      out.put("not_after", identity.notAfter().toString());
      out.put("seconds_to_rotation",
          Math.max(0, Duration.between(now, identity.rotationDue()).getSeconds()));
      out.put("seconds_to_expiry", Duration.between(now, identity.notAfter()).getSeconds());
      out.put("expired", !now.isBefore(identity.notAfter()));
    });
    out.put("rotation_count", state.rotations());
    out.put("workload_api", source.address());
    out.put("last_error", state.lastError());
    out.put("trust_domains", trustDomains(state.bundles()));
    Map<String, Object> policyOut = new LinkedHashMap<>();
    List<String> patterns = new ArrayList<>();
    policy.patterns().forEach(pattern -> patterns.add(pattern.toString()));
    policyOut.put("allowed_peers", patterns);
    policyOut.put("default", patterns.isEmpty() ? "same trust domain only" : null);
    policyOut.put("audit_mode", policy.auditMode());
    policyOut.put("mesh_hosts", meshHosts.globs());
    out.put("policy", policyOut);
    out.put("recent_peers", peers.snapshot());
    out.put("last_denial", peers.lastDenial().map(AuditRecord::fields).orElse(null));
    identityExtras.get().forEach(out::putIfAbsent);
    return out;
  }

  private static List<Map<String, Object>> trustDomains(TrustBundles bundles) {
    List<Map<String, Object>> domains = new ArrayList<>();
    for (Map.Entry<String, Set<X509Certificate>> entry : bundles.asMap().entrySet()) {
      List<Map<String, Object>> authorities = new ArrayList<>();
      for (X509Certificate authority : entry.getValue()) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("sha256", Certificates.sha256(authority));
        item.put("subject", authority.getSubjectX500Principal().getName());
        item.put("not_after", authority.getNotAfter().toInstant().toString());
        authorities.add(item);
      }
      Map<String, Object> domain = new LinkedHashMap<>();
      domain.put("trust_domain", entry.getKey());
      domain.put("authorities", authorities);
      domains.add(domain);
    }
    return domains;
  }

  private Response ready() {
    SvidSourceState state = source.state();
    Optional<Identity> current = state.current();
    Instant now = clock.instant();
    if (!current.isPresent()) {
      return Response.text(503, "not ready: no X.509-SVID yet from the Workload API at "
          + source.address() + state.error().map(e -> " (last error: " + e + ")").orElse("")
          + "\n");
    }
    Identity identity = current.get();
    if (!now.isBefore(identity.notAfter())) {
      return Response.text(503, "not ready: X.509-SVID " + identity.spiffeId() + " expired at "
          + identity.notAfter() + state.error().map(e -> " (last error: " + e + ")").orElse("")
          + "\n");
    }
    if (now.isBefore(identity.notBefore())) {
      return Response.text(503, "not ready: X.509-SVID " + identity.spiffeId()
          + " is not valid before " + identity.notBefore() + "\n");
    }
    return Response.text(200, "ready: " + identity.spiffeId() + " valid until "
        + identity.notAfter() + "\n");
  }

  private Response metrics() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      metrics.get().writeTo(out);
    } catch (IOException e) {
      return Response.text(500, "cannot write metrics: " + e.getMessage() + "\n");
    }
    return new Response(200, metrics.get().contentType(), out.toByteArray());
  }

  private Response auditRecords(String query) {
    int limit = DEFAULT_AUDIT_LIMIT;
    if (query != null) {
      for (String parameter : query.split("&")) {
        if (parameter.startsWith("limit=")) {
          String value = parameter.substring("limit=".length());
          try {
            limit = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            limit = -1;
          }
          if (limit < 1) {
            return Response.text(400, "limit=" + value + " is not a positive whole number;"
                + " write e.g. /audit?limit=50 (at most " + audit.capacity() + " are kept)\n");
          }
        }
      }
    }
    StringBuilder lines = new StringBuilder();
    for (AuditRecord record : audit.recent(limit)) {
      lines.append(record.toJson()).append('\n');
    }
    return new Response(200, "application/x-ndjson", lines.toString());
  }

  /** Status, content type and body of one answer. */
  static final class Response {
    final int status;
    final String contentType;
    final byte[] body;

    Response(int status, String contentType, byte[] body) {
      this.status = status;
      this.contentType = contentType;
      this.body = body;
    }

    Response(int status, String contentType, String body) {
      this(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    static Response text(int status, String body) {
      return new Response(status, TEXT, body);
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }
}
